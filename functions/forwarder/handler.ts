import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createClients } from '../shared/aws/clients';
import { DynamoEndpointStatus } from '../shared/aws/endpoint-status';
import { SqsForwarderQueue } from '../shared/aws/forwarder-queue';
import { readForwarderEnvironment } from '../shared/config/lambda-env';
import { DynamoLedger } from '../shared/aws/ledger';
import { cachedFor, readSecret, SECRET_CACHE_MS, SECRET_STALE_MS } from '../shared/aws/secrets';
import { parseForwarderSettings, parseJsonSetting } from '../shared/config/parse-settings';
import { messageOf } from '../shared/domain/errors';
import { createMobileDecryptor } from '../shared/mobile/mobile-decryptor';
import { createLogger, createMetrics } from '../shared/observability/observability';
import { backoffSeconds } from './outcome';
import { createDispatcher } from '../shared/webhook/sender';
import { createDeliver } from './deliver';
import { forwardBatch, type BatchResult, type QueueRecord } from './forward';
import { reportBatch } from './report';

/** Records of one batch delivered at once (each to every endpoint in parallel). */
const RECORD_CONCURRENCY = 10;
/**
 * A busy container reads its endpoints' status (gone marks, recent lead ages) this often rather
 * than before every batch; in between it uses what its own last status write returned.
 */
const ENDPOINT_STATUS_FRESH_MS = 2_000;

// Wiring only, built once per container.
const env = readForwarderEnvironment(process.env);
const { ddb, sqs, secrets } = createClients();
const logger = createLogger();
const metrics = createMetrics();
const dispatcher = createDispatcher();

const wiring = cachedFor(
  SECRET_CACHE_MS,
  async () => {
    const [webhooks, mobilePrivateKey] = await Promise.all([
      readSecret(secrets, env.webhooksSecretArn),
      env.mobilePrivateKeySecretArn === undefined
        ? Promise.resolve(undefined)
        : readSecret(secrets, env.mobilePrivateKeySecretArn),
    ]);
    const settings = parseForwarderSettings({ webhooks: parseJsonSetting('Webhooks', webhooks), mobilePrivateKey });
    return {
      endpoints: settings.webhooks,
      ledger: new DynamoLedger(ddb, env.table),
      endpointStatus: new DynamoEndpointStatus(ddb, env.table, { freshForMs: ENDPOINT_STATUS_FRESH_MS }),
      queue: new SqsForwarderQueue(sqs, env.queueUrl, env.dlqUrl),
      deliver: createDeliver(dispatcher),
      ...(settings.mobilePrivateKey === undefined ? {} : { decryptMobile: createMobileDecryptor(settings.mobilePrivateKey) }),
      maxReceiveCount: env.maxReceiveCount,
      leadsRetentionSeconds: env.leadsRetentionSeconds,
      concurrency: RECORD_CONCURRENCY,
      backoffSeconds: (attempt: number, retryAfter: number | undefined) => backoffSeconds(attempt, retryAfter, Math.random),
    };
  },
  {
    staleForMs: SECRET_STALE_MS,
    onStale: (error) => logger.warn('could not refresh the secrets; using the values read before', { error: messageOf(error) }),
  },
);

/** SQS batch in, partial batch failures out: only the records that must be retried are reported. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return (await forwardEvent(event, context)).response;
}

/**
 * The handler's work with what it came to: the response Lambda reads, and the batch result it
 * was made from (what each endpoint answered for each record). The local runner invokes this
 * one, so that its progress and `--once` summary are the forwarder's own account rather than
 * a second reading of the ledger.
 */
export async function forwardEvent(
  event: SQSEvent,
  context: Context,
): Promise<{ response: SQSBatchResponse; result: BatchResult }> {
  // Request id, function name and cold start on every line of this invocation (no ColdStart metric: poller/handler.ts).
  logger.addContext(context);
  const deps = await wiring();
  const result = await forwardBatch(deps, event.Records.map(toQueueRecord));
  reportBatch(result, logger, metrics);
  // A batch of leads already delivered stores no metric, and Powertools answers a publish of
  // none with a plain-text warning among the JSON lines.
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { response: { batchItemFailures: result.failures.map((itemIdentifier) => ({ itemIdentifier })) }, result };
}

function toQueueRecord(record: SQSRecord): QueueRecord {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) attributes[key] = value.stringValue;
  }
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    message: { body: record.body, attributes, sentTimestamp: record.attributes.SentTimestamp },
  };
}
