import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Structured logs and CloudWatch metrics (EMF) for both functions. Logs carry lead ids,
 * endpoint names, statuses and timings: never a lead's name, mobile or any secret.
 * The metric names are the stack's alarm and dashboard contract (infra/).
 */
export const METRIC = {
  pollSucceeded: 'PollSucceeded',
  pollFailed: 'PollFailed',
  leadsFetched: 'LeadsFetched',
  leadsEnqueued: 'LeadsEnqueued',
  leadsRejected: 'LeadsRejected',
  topAuthFailure: 'TopAuthFailure',
  topRateLimited: 'TopRateLimited',
  pollDurationMs: 'PollDurationMs',
  cursorLagSeconds: 'CursorLagSeconds',
  delivered: 'Delivered',
  deliveryRetried: 'DeliveryRetried',
  deliveryRejected: 'DeliveryRejected',
  deliveryLatencyMs: 'DeliveryLatencyMs',
  /** Service-level: a lead went back on the queue to retry an endpoint (alarms when sustained). */
  deliveriesRetrying: 'DeliveriesRetrying',
  endpointGone: 'EndpointGone',
  deliveryDeadLettered: 'DeliveryDeadLettered',
  malformedMessages: 'MalformedMessages',
  mobileDecryptFailed: 'MobileDecryptFailed',
} as const;

export { MetricUnit };

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'alimama-lead-forwarder';
const NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'LeadForwarder';

export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE });
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: NAMESPACE, serviceName: SERVICE });
}
