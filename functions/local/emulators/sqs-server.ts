import {
  DEAD_LETTER_QUEUE,
  DLQ_RETENTION_SECONDS,
  LEADS_QUEUE,
  LEADS_RETENTION_SECONDS,
  LOCAL_REGION,
} from '../runner/resources';

/** fauxqs is ESM-only: loaded with import(), which tsx leaves as a real dynamic import. */
const loadFauxqs = () => import('fauxqs');
export type FauxqsServer = Awaited<ReturnType<Awaited<ReturnType<typeof loadFauxqs>>['startFauxqs']>>;

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

export interface LocalQueues {
  leads: QueueRef;
  deadLetters: QueueRef;
}

export interface SqsServer {
  endpoint: string;
  queues: LocalQueues;
  /** The simulator itself, for non-destructive snapshots (`inspectQueue`). */
  fauxqs: FauxqsServer;
  close(): Promise<void>;
}

/**
 * Starts fauxqs on loopback with the leads queue and its dead-letter queue, redrive included,
 * shaped like the stack's. fauxqs keeps nothing on disk: see queue-snapshot.ts.
 */
export async function startSqsServer(opts: { maxReceiveCount: number; visibilityTimeoutSeconds: number }): Promise<SqsServer> {
  const { startFauxqs } = await loadFauxqs();
  const fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, defaultRegion: LOCAL_REGION });
  const dlq = fauxqs.createQueue(DEAD_LETTER_QUEUE, {
    region: LOCAL_REGION,
    attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
  });
  const leads = fauxqs.createQueue(LEADS_QUEUE, {
    region: LOCAL_REGION,
    attributes: {
      MessageRetentionPeriod: String(LEADS_RETENTION_SECONDS),
      VisibilityTimeout: String(opts.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: opts.maxReceiveCount }),
    },
  });
  return {
    endpoint: `http://127.0.0.1:${fauxqs.port}`,
    queues: {
      leads: { name: leads.queueName, url: leads.queueUrl, arn: leads.queueArn },
      deadLetters: { name: dlq.queueName, url: dlq.queueUrl, arn: dlq.queueArn },
    },
    fauxqs,
    close: () => fauxqs.stop(),
  };
}
