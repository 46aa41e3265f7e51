import { Aws, Duration } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The custom metrics the functions emit (Powertools EMF). Every metric carries the dimension
 * `service` = the stack name, so several stacks in one account never mix their numbers;
 * per-endpoint delivery metrics add the dimension `endpoint` (the endpoint's name).
 */

export const METRICS_NAMESPACE = 'LeadForwarder';
export const SERVICE_DIMENSION = 'service';
export const ENDPOINT_DIMENSION = 'endpoint';

export const POLLER_METRICS = {
  pollSucceeded: 'PollSucceeded',
  pollFailed: 'PollFailed',
  leadsFetched: 'LeadsFetched',
  leadsEnqueued: 'LeadsEnqueued',
  leadsRejected: 'LeadsRejected',
  /** TOP codes 26/27/11: the merchant must re-authorize (or the IP whitelist is wrong). */
  topAuthFailure: 'TopAuthFailure',
  topRateLimited: 'TopRateLimited',
  pollDurationMs: 'PollDurationMs',
  /** Seconds since the cursor was last brought up to date. */
  cursorLagSeconds: 'CursorLagSeconds',
} as const;

/** Emitted with the dimensions service + endpoint. */
export const ENDPOINT_METRICS = {
  delivered: 'Delivered',
  deliveryRetried: 'DeliveryRetried',
  deliveryRejected: 'DeliveryRejected',
  deliveryLatencyMs: 'DeliveryLatencyMs',
} as const;

/** Emitted with the dimension service only. */
export const FORWARDER_METRICS = {
  /** A lead went back on the queue to retry an endpoint. */
  deliveriesRetrying: 'DeliveriesRetrying',
  endpointGone: 'EndpointGone',
  deliveryDeadLettered: 'DeliveryDeadLettered',
  malformedMessages: 'MalformedMessages',
  mobileDecryptFailed: 'MobileDecryptFailed',
} as const;

/** A service-level metric of this stack. */
export function serviceMetric(metricName: string, options: { statistic?: string; period?: Duration; label?: string } = {}): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: Aws.STACK_NAME },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    ...(options.label === undefined ? {} : { label: options.label }),
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
