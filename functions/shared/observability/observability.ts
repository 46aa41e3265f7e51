import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit as MetricUnits } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import { METRICS_NAMESPACE } from './metric-names';

export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';
export { METRIC } from './metric-names';

/** Powertools' units, as a value (`MetricUnit.Count`) and as the type of one. */
export const MetricUnit = MetricUnits;
export type MetricUnit = MetricUnitName;

/**
 * The handlers' logger and metrics: Powertools for AWS Lambda, configured by its own variables.
 * Logs are JSON lines (`info` on stdout, `warn` and `error` on stderr) with Powertools' keys;
 * once a handler has called `logger.addContext(context)`, every line also carries `cold_start`,
 * `function_name`, `function_request_id` and the function's ARN and memory. Metrics are EMF
 * documents on stdout; the names and dimensions the alarms read are in metric-names.ts.
 * Fields are lead ids, endpoint names, statuses and timings: never a lead's name, mobile or a secret.
 */

/**
 * The variables Powertools reads (infra/lead-function.ts sets the first two; the local runner
 * all four). Lambda's own log-level setting, AWS_LAMBDA_LOG_LEVEL, wins over POWERTOOLS_LOG_LEVEL
 * when both are set (Powertools then warns once if the two disagree).
 */
export const OBSERVABILITY_ENV = {
  service: 'POWERTOOLS_SERVICE_NAME',
  namespace: 'POWERTOOLS_METRICS_NAMESPACE',
  metricsDisabled: 'POWERTOOLS_METRICS_DISABLED',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** The service when POWERTOOLS_SERVICE_NAME is not set (Powertools' own default is `service_undefined`). */
export const DEFAULT_SERVICE = 'alimama-lead-forwarder';

/** Reads the environment when called: the handlers call it at module load, as Lambda sets it. */
export function createLogger(): Logger {
  return new Logger({ serviceName: setting(OBSERVABILITY_ENV.service) ?? DEFAULT_SERVICE });
}

export function createMetrics(): Metrics {
  return new Metrics({
    namespace: setting(OBSERVABILITY_ENV.namespace) ?? METRICS_NAMESPACE,
    serviceName: setting(OBSERVABILITY_ENV.service) ?? DEFAULT_SERVICE,
  });
}

/**
 * A variable's value; an empty one counts as not set (an empty dimension value would be
 * refused). Given to Powertools as an option, which takes precedence over its own reading.
 */
function setting(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
