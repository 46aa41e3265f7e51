import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from './metric-names';

export { METRIC } from './metric-names';

/**
 * Structured logs and CloudWatch metrics (EMF) for both functions. Logs carry lead ids,
 * endpoint names, statuses and timings: never a lead's name, mobile or any secret.
 */

export { MetricUnit };

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'alimama-lead-forwarder';
const NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;

export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE });
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: NAMESPACE, serviceName: SERVICE });
}
