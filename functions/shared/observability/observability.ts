import { createLogger as makeLogger, type Logger } from './logger';
import { METRICS_NAMESPACE } from './metric-names';
import { createMetrics as makeMetrics, type Metrics } from './metrics';

export { METRIC } from './metric-names';
export { MetricUnit } from './metrics';
export type { Logger } from './logger';
export type { Metrics } from './metrics';

/**
 * The handlers' logger and metrics, configured from their environment. Small and written here:
 * the handlers make four kinds of call, and a logging library is bytes every cold start parses.
 */

/** The variables read (infra/lead-function.ts sets the first two; the local runner the rest). */
export const OBSERVABILITY_ENV = {
  service: 'SERVICE_NAME',
  namespace: 'METRICS_NAMESPACE',
  metricsDisabled: 'METRICS_DISABLED',
  logLevel: 'LOG_LEVEL',
} as const;

const DEFAULT_SERVICE = 'alimama-lead-forwarder';

export function createLogger(env: Record<string, string | undefined> = process.env): Logger {
  // Lambda's own log-level setting (AWS_LAMBDA_LOG_LEVEL) applies when ours is not set.
  return makeLogger({ service: setting(env, OBSERVABILITY_ENV.service) ?? DEFAULT_SERVICE, level: setting(env, OBSERVABILITY_ENV.logLevel) ?? env.AWS_LAMBDA_LOG_LEVEL });
}

export function createMetrics(env: Record<string, string | undefined> = process.env): Metrics {
  return makeMetrics({
    namespace: setting(env, OBSERVABILITY_ENV.namespace) ?? METRICS_NAMESPACE,
    service: setting(env, OBSERVABILITY_ENV.service) ?? DEFAULT_SERVICE,
    disabled: setting(env, OBSERVABILITY_ENV.metricsDisabled)?.toLowerCase() === 'true',
  });
}

/** A variable's value; an empty one counts as not set (an empty dimension value would be refused). */
function setting(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
