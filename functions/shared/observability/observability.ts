import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit as MetricUnits } from '@aws-lambda-powertools/metrics';
import type { MetricResolution, MetricUnit as MetricUnitName, MetricsOptions } from '@aws-lambda-powertools/metrics/types';
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
  /** The metric names a function publishes, comma-separated; unset or `*`: every one (see publishedMetricNames). */
  publishedMetrics: 'LEAD_FORWARDER_METRICS',
} as const;

/** Every metric: the value of OBSERVABILITY_ENV.publishedMetrics that restricts nothing. */
export const ALL_METRICS = '*';

/**
 * The names a function may publish, from OBSERVABILITY_ENV.publishedMetrics: undefined (every
 * metric) when unset, empty or `*`; else the comma-separated names (`,` alone: none). The stack's
 * lean setting lists only the metrics its alarms read (infra/alarms.ts).
 */
export function publishedMetricNames(value: string | undefined): ReadonlySet<string> | undefined {
  const text = value?.trim();
  if (text === undefined || text === '' || text === ALL_METRICS) return undefined;
  return new Set(
    text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
}

/** The service when POWERTOOLS_SERVICE_NAME is not set (Powertools' own default is `service_undefined`). */
export const DEFAULT_SERVICE = 'alimama-lead-forwarder';

/** Reads the environment when called: the handlers call it at module load, as Lambda sets it. */
export function createLogger(): Logger {
  return new Logger({ serviceName: setting(OBSERVABILITY_ENV.service) ?? DEFAULT_SERVICE });
}

export function createMetrics(): LeadMetrics {
  return new LeadMetrics(
    {
      namespace: setting(OBSERVABILITY_ENV.namespace) ?? METRICS_NAMESPACE,
      serviceName: setting(OBSERVABILITY_ENV.service) ?? DEFAULT_SERVICE,
    },
    publishedMetricNames(setting(OBSERVABILITY_ENV.publishedMetrics)),
  );
}

/**
 * Powertools Metrics that leave out what would cost without telling anything (CloudWatch bills
 * a custom metric for every hour it receives a value, infra/cost): a count of 0 (an idle poll
 * fetched, enqueued and rejected nothing: the alarms treat no data as no event, and the
 * dashboard draws no line for it), and any metric not in `only` when that is given (the stack's
 * lean setting: only what an alarm reads; Powertools' ColdStart included). A flush with nothing
 * left writes nothing and does not warn.
 */
export class LeadMetrics extends Metrics {
  /** withDimension()'s metrics, by dimension name and value. */
  private readonly dimensioned = new Map<string, LeadMetrics>();

  constructor(
    private readonly options: MetricsOptions,
    private readonly only: ReadonlySet<string> | undefined,
  ) {
    super(options);
  }

  /**
   * Metrics with one more dimension (the forwarder's per-endpoint ones): documents of their own,
   * with the same namespace, service and filter, published with this one's publishStoredMetrics().
   * Made once per value and kept, unlike singleMetric(), which makes a new Metrics (and a new
   * Console) for every value it writes: the values a name gets until the flush go out as one
   * list, which CloudWatch takes as that many data points, as it would separate documents.
   */
  withDimension(name: string, value: string): LeadMetrics {
    const key = `${name}\u0000${value}`;
    let metrics = this.dimensioned.get(key);
    if (metrics === undefined) {
      metrics = new LeadMetrics(
        { ...this.options, defaultDimensions: { ...this.options.defaultDimensions, [name]: value } },
        this.only,
      );
      this.dimensioned.set(key, metrics);
    }
    return metrics;
  }

  override hasStoredMetrics(): boolean {
    return super.hasStoredMetrics() || [...this.dimensioned.values()].some((metrics) => metrics.hasStoredMetrics());
  }

  override addMetric(name: string, unit: MetricUnit, value: number, resolution?: MetricResolution): this {
    return this.publishes(name, unit, value) ? super.addMetric(name, unit, value, resolution) : this;
  }

  override singleMetric(): Metrics {
    const single = super.singleMetric();
    const add = single.addMetric.bind(single);
    single.addMetric = (name, unit, value, resolution) =>
      this.publishes(name, unit, value) ? add(name, unit, value, resolution) : single;
    return single;
  }

  override publishStoredMetrics(): this {
    for (const metrics of this.dimensioned.values()) metrics.publishStoredMetrics();
    if (super.hasStoredMetrics()) return super.publishStoredMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }

  private publishes(name: string, unit: MetricUnit, value: number): boolean {
    if (unit === MetricUnits.Count && value === 0) return false;
    return this.only === undefined || this.only.has(name);
  }
}

/**
 * A variable's value; an empty one counts as not set (an empty dimension value would be
 * refused). Given to Powertools as an option, which takes precedence over its own reading.
 */
function setting(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
