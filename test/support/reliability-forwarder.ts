import { LEADS_RETENTION_SECONDS } from '../../functions/local/runner/resources';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createDeliver } from '../../functions/forwarder/deliver';
import type { RecordResult } from '../../functions/forwarder/forward';
import type { ForwardDeps } from '../../functions/forwarder/ports';
import { DynamoEndpointStatus } from '../../functions/shared/aws/endpoint-status';
import { SqsForwarderQueue } from '../../functions/shared/aws/forwarder-queue';
import { DynamoLedger } from '../../functions/shared/aws/ledger';
import type { Endpoint } from '../../functions/shared/domain/settings';
import { createDispatcher } from '../../functions/shared/webhook/sender';
import { drain } from './forwarder-loop';
import type { TestQueues } from './local-aws';

/** Real forwarder instances for the reliability suite: the real forwardBatch, ledger, queue adapter and sender. */

export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export function endpoint(name: string, url: string, timeoutMs = 2_000): Endpoint {
  return { name, url, secrets: [WEBHOOK_SECRET], headers: {}, format: 'standard', timeoutMs };
}

export interface ForwarderWiring {
  ddb: DynamoDBClient;
  sqs: SQSClient;
  table: string;
  queues: TestQueues;
  endpoints: Endpoint[];
  maxReceiveCount: number;
  /** The tests keep retries quick; production uses exponential backoff (outcome.ts). */
  backoffSeconds: number;
  /** The ledger's clock: ahead of real time, it lets leases left by a killed forwarder expire at once. */
  ledgerNow?: () => number;
}

/**
 * `instances` forwarders draining the queue side by side, each with its own connection pool
 * and its own adapters, as separate Lambda containers would, until the queue stays empty.
 */
export async function drainWith(
  wiring: ForwarderWiring,
  instances: number,
  opts: { idleMs?: number; maxMs?: number } = {},
): Promise<RecordResult[]> {
  const results = await Promise.all(
    Array.from({ length: instances }, async () => {
      const dispatcher = createDispatcher();
      const deps: ForwardDeps = {
        endpoints: wiring.endpoints,
        ledger: new DynamoLedger(wiring.ddb, wiring.table, wiring.ledgerNow),
        endpointStatus: new DynamoEndpointStatus(wiring.ddb, wiring.table),
        queue: new SqsForwarderQueue(wiring.sqs, wiring.queues.queueUrl, wiring.queues.dlqUrl),
        deliver: createDeliver(dispatcher),
        maxReceiveCount: wiring.maxReceiveCount,
        leadsRetentionSeconds: LEADS_RETENTION_SECONDS,
        concurrency: 10,
        backoffSeconds: () => wiring.backoffSeconds,
      };
      try {
        return await drain(deps, wiring.sqs, wiring.queues.queueUrl, {
          idleMs: opts.idleMs ?? 2_000,
          maxMs: opts.maxMs ?? 60_000,
        });
      } finally {
        await dispatcher.close();
      }
    }),
  );
  return results.flat();
}

export interface ParkedMessage {
  body: string;
  reason?: string;
  endpoints?: string;
}

/** Everything in the DLQ (hidden for a minute once read, so call it once at the end). */
export async function deadLetters(sqs: SQSClient, dlqUrl: string): Promise<ParkedMessage[]> {
  const out: ParkedMessage[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) return out;
    for (const m of Messages) {
      const entry: ParkedMessage = { body: m.Body ?? '' };
      const reason = m.MessageAttributes?.parked_reason?.StringValue;
      const endpoints = m.MessageAttributes?.parked_endpoints?.StringValue;
      if (reason !== undefined) entry.reason = reason;
      if (endpoints !== undefined) entry.endpoints = endpoints;
      out.push(entry);
    }
  }
}
