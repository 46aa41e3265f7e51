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
import { ENDPOINT_DIMENSION } from '../shared/observability/metric-names';
import { createLogger, createMetrics, METRIC, MetricUnit } from '../shared/observability/observability';
import { backoffSeconds } from '../shared/webhook/outcome';
import { createDispatcher } from '../shared/webhook/sender';
import { createDeliver } from './deliver';
import { forwardBatch, type BatchResult, type QueueRecord } from './forward';

/** Records of one batch delivered at once (each to every endpoint in parallel). */
const RECORD_CONCURRENCY = 10;

// Wiring only, built once per container.
const env = readForwarderEnvironment(process.env);
const { ddb, sqs, secrets } = createClients();
const logger = createLogger();
const metrics = createMetrics();
const dispatcher = createDispatcher();

const wiring = cachedFor(SECRET_CACHE_MS, async () => {
  const [webhooks, mobilePrivateKey] = await Promise.all([
    readSecret(secrets, env.webhooksSecretArn),
    env.mobilePrivateKeySecretArn === undefined ? Promise.resolve(undefined) : readSecret(secrets, env.mobilePrivateKeySecretArn),
  ]);
  const settings = parseForwarderSettings({ webhooks: parseJsonSetting('Webhooks', webhooks), mobilePrivateKey });
  return {
    endpoints: settings.webhooks,
    ledger: new DynamoLedger(ddb, env.table),
    endpointStatus: new DynamoEndpointStatus(ddb, env.table),
    queue: new SqsForwarderQueue(sqs, env.queueUrl, env.dlqUrl),
    deliver: createDeliver(dispatcher),
    ...(settings.mobilePrivateKey === undefined ? {} : { decryptMobile: createMobileDecryptor(settings.mobilePrivateKey) }),
    maxReceiveCount: env.maxReceiveCount,
    leadsRetentionSeconds: env.leadsRetentionSeconds,
    concurrency: RECORD_CONCURRENCY,
    backoffSeconds: (attempt: number, retryAfter: number | undefined) => backoffSeconds(attempt, retryAfter, Math.random),
  };
}, {
  staleForMs: SECRET_STALE_MS,
  onStale: (error) => logger.warn('could not refresh the secrets; using the values read before', { error: messageOf(error) }),
});

/** SQS batch in, partial batch failures out: only the records that must be retried are reported. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // Request id, function name and cold start on every line of this invocation; the ColdStart metric once per container.
  logger.addContext(context);
  metrics.captureColdStartMetric(context.functionName);
  const deps = await wiring();
  const result = await forwardBatch(deps, event.Records.map(toQueueRecord));
  report(result);
  // A batch of leads already delivered stores no metric, and Powertools answers a publish of
  // none with a plain-text warning among the JSON lines.
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { batchItemFailures: result.failures.map((itemIdentifier) => ({ itemIdentifier })) };
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

/** A metric with the `endpoint` dimension besides `service`: written at once, in an EMF document of its own. */
function endpointMetric(endpoint: string, name: string, unit: MetricUnit, value: number): void {
  const single = metrics.singleMetric();
  single.addDimension(ENDPOINT_DIMENSION, endpoint);
  single.addMetric(name, unit, value);
}

/** Logs and metrics: lead ids, endpoint names, statuses and timings only. */
function report(result: BatchResult): void {
  for (const record of result.records) {
    if (record.malformed === true) metrics.addMetric(METRIC.malformedMessages, MetricUnit.Count, 1);
    if (record.mobileDecryptFailed === true) metrics.addMetric(METRIC.mobileDecryptFailed, MetricUnit.Count, 1);
    if (record.kind === 'parked') metrics.addMetric(METRIC.deliveryDeadLettered, MetricUnit.Count, 1);
    if (record.kind === 'retry') metrics.addMetric(METRIC.deliveriesRetrying, MetricUnit.Count, 1);
    for (const e of record.endpoints) {
      const fields = { leadId: record.leadId, endpoint: e.endpoint, state: e.state, status: e.status, attempt: record.attempt, latencyMs: e.latencyMs };
      if (e.bookkeepingError !== undefined) logger.warn('the ledger did not record this outcome: a later copy of the lead (a retry for another endpoint, a replay) will send it to this endpoint again once the lease ends', { ...fields, error: e.bookkeepingError });
      if (e.state === 'delivered') {
        endpointMetric(e.endpoint, METRIC.delivered, MetricUnit.Count, 1);
        if (e.latencyMs !== undefined) endpointMetric(e.endpoint, METRIC.deliveryLatencyMs, MetricUnit.Milliseconds, e.latencyMs);
        logger.info('lead delivered', fields);
      } else if (e.state === 'retry' || e.state === 'busy') {
        endpointMetric(e.endpoint, METRIC.deliveryRetried, MetricUnit.Count, 1);
        logger.warn('delivery will be retried', { ...fields, reason: e.reason, delaySeconds: record.delaySeconds });
      } else if (e.state === 'rejected') {
        endpointMetric(e.endpoint, METRIC.deliveryRejected, MetricUnit.Count, 1);
        logger.error('delivery rejected', { ...fields, reason: e.reason });
      } else if (e.state === 'gone') {
        metrics.addMetric(METRIC.endpointGone, MetricUnit.Count, 1);
        logger.error('endpoint gone (410): no more deliveries to it until its url changes', fields);
      }
    }
    if (record.kind === 'parked') logger.error('lead parked in the dead-letter queue', { leadId: record.leadId, messageId: record.messageId, reason: record.reason });
    if (record.kind === 'retry') logger.warn('lead goes back to the queue for another attempt', { leadId: record.leadId, messageId: record.messageId, reason: record.reason, delaySeconds: record.delaySeconds });
  }
}
