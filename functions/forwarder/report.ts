import { ENDPOINT_DIMENSION } from '../shared/observability/metric-names';
import { NEEDS_OPERATOR, needsOperator } from '../shared/observability/needs-operator';
import { METRIC, MetricUnit, type LeadMetrics, type Logger } from '../shared/observability/observability';
import type { BatchResult } from './forward';

/**
 * The logs and metrics of one forwarded batch: lead ids, endpoint names, statuses and timings
 * only. Never a reason's receiver body (reasons carry none) nor an endpoint's `response`.
 */
export function reportBatch(result: BatchResult, logger: Logger, metrics: LeadMetrics): void {
  /** A metric with the `endpoint` dimension besides `service`: in that endpoint's EMF document, published with the others. */
  const endpointMetric = (endpoint: string, name: string, unit: MetricUnit, value: number): void => {
    metrics.withDimension(ENDPOINT_DIMENSION, endpoint).addMetric(name, unit, value);
  };
  for (const record of result.records) {
    if (record.malformed === true) metrics.addMetric(METRIC.malformedMessages, MetricUnit.Count, 1);
    if (record.mobileDecryptFailed === true) {
      metrics.addMetric(METRIC.mobileDecryptFailed, MetricUnit.Count, 1);
      logger.warn('mobile did not decrypt with MobilePrivateKey: sent as received (mobile_encrypted: true)', {
        leadId: record.leadId,
        ...needsOperator(metrics, NEEDS_OPERATOR.mobileNotDecrypted),
      });
    }
    if (record.kind === 'parked') metrics.addMetric(METRIC.deliveryDeadLettered, MetricUnit.Count, 1);
    if (record.kind === 'retry') metrics.addMetric(METRIC.deliveriesRetrying, MetricUnit.Count, 1);
    for (const e of record.endpoints) {
      const fields = {
        leadId: record.leadId,
        endpoint: e.endpoint,
        state: e.state,
        status: e.status,
        attempt: record.attempt,
        latencyMs: e.latencyMs,
        // Why it did not go through (auth, rate-limit, rejected-field…), and where a connector's lead landed.
        reasonClass: e.reasonClass,
        recordId: e.recordId,
      };
      if (e.bookkeepingError !== undefined)
        logger.warn(
          'the ledger did not record this outcome: a later copy of the lead (a retry for another endpoint, a replay) will send it to this endpoint again once the lease ends',
          { ...fields, error: e.bookkeepingError },
        );
      if (e.state === 'delivered') {
        endpointMetric(e.endpoint, METRIC.delivered, MetricUnit.Count, 1);
        if (e.latencyMs !== undefined) endpointMetric(e.endpoint, METRIC.deliveryLatencyMs, MetricUnit.Milliseconds, e.latencyMs);
        const age = e.ageSeconds;
        if (age !== undefined) {
          // Per endpoint for the dashboard; per service (all endpoints) for the alarm.
          endpointMetric(e.endpoint, METRIC.leadAgeSeconds, MetricUnit.Seconds, age);
          metrics.addMetric(METRIC.leadAgeSeconds, MetricUnit.Seconds, age);
        }
        logger.info('lead delivered', age === undefined ? fields : { ...fields, ageSeconds: age });
      } else if (e.state === 'retry' || e.state === 'busy') {
        endpointMetric(e.endpoint, METRIC.deliveryRetried, MetricUnit.Count, 1);
        logger.warn('delivery will be retried', { ...fields, reason: e.reason, delaySeconds: record.delaySeconds });
      } else if (e.state === 'rejected') {
        endpointMetric(e.endpoint, METRIC.deliveryRejected, MetricUnit.Count, 1);
        logger.error('delivery rejected', { ...fields, reason: e.reason });
      } else if (e.state === 'skipped') {
        // A metric only: a filter that routes most leads elsewhere would otherwise fill the log.
        endpointMetric(e.endpoint, METRIC.deliverySkipped, MetricUnit.Count, 1);
      } else if (e.state === 'gone') {
        metrics.addMetric(METRIC.endpointGone, MetricUnit.Count, 1);
        logger.error('endpoint gone (410): no more deliveries to it until its url changes', fields);
      }
    }
    if (record.kind === 'parked')
      logger.error('lead parked in the dead-letter queue', {
        leadId: record.leadId,
        messageId: record.messageId,
        reason: record.reason,
        ...needsOperator(metrics, NEEDS_OPERATOR.leadParked),
      });
    // Bound for the DLQ all the same (parked on its next receive, or by SQS's redrive after the
    // last): counted now, since a redrive by SQS is counted by nobody.
    if (record.parkFailed === true)
      logger.error('lead not parked: the dead-letter queue refused it; it comes back to be parked', {
        leadId: record.leadId,
        messageId: record.messageId,
        reason: record.reason,
        ...needsOperator(metrics, NEEDS_OPERATOR.leadParked),
      });
    else if (record.kind === 'retry')
      logger.warn('lead goes back to the queue for another attempt', {
        leadId: record.leadId,
        messageId: record.messageId,
        reason: record.reason,
        delaySeconds: record.delaySeconds,
      });
  }
}
