import { Aws, Duration, Fn } from 'aws-cdk-lib';
import { ALL_METRICS } from '../functions/shared/observability/observability';
import type { LeadForwarderParameters } from './parameters';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { ENDPOINT_DIMENSION, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../functions/shared/observability/metric-names';

/**
 * The custom metrics the functions emit (EMF, through Powertools Metrics). Every metric carries the dimension
 * `service` = the stack name, so several stacks in one account never mix their numbers;
 * per-endpoint delivery metrics add the dimension `endpoint` (the endpoint's name).
 */

export {
  ENDPOINT_DIMENSION,
  ENDPOINT_METRICS,
  FORWARDER_METRICS,
  METRICS_NAMESPACE,
  OPERATOR_METRICS,
  POLLER_METRICS,
  SERVICE_DIMENSION,
} from '../functions/shared/observability/metric-names';

/** A service-level metric of this stack. */
export function serviceMetric(
  metricName: string,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: Aws.STACK_NAME },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    label: options.label,
  });
}

/**
 * A CloudWatch SEARCH expression for one per-endpoint metric of this stack: one line per
 * endpoint, including endpoints added after deployment.
 */
export function perEndpointSearch(metricName: string, statistic: string, period: Duration): string {
  const schema = `{${METRICS_NAMESPACE},${ENDPOINT_DIMENSION},${SERVICE_DIMENSION}}`;
  return `SEARCH('${schema} MetricName="${metricName}" ${SERVICE_DIMENSION}="${Aws.STACK_NAME}"', '${statistic}', ${period.toSeconds()})`;
}

/**
 * The value of OBSERVABILITY_ENV.publishedMetrics for the chosen Monitoring: every metric
 * (`full`), or only `alarmed` (`lean`: the dashboard, which reads the rest, is not deployed then).
 */
export function publishedMetrics(parameters: LeadForwarderParameters, alarmed: readonly string[]): string {
  const names = [...new Set(alarmed)].sort().join(',');
  return Fn.conditionIf(parameters.fullMonitoring.logicalId, ALL_METRICS, names === '' ? ',' : names).toString();
}
