import { METRIC } from './metric-names';
import { MetricUnit, type Metrics } from './observability';

/**
 * Every condition a person must act on, as one metric (NeedsOperator) and one alarm
 * (infra/alarms.ts): CloudWatch bills each alarm, and an alarm per cause would cost more than the
 * rest of the stack's alarms. The log line that reports a cause carries the field
 * NEEDS_OPERATOR_FIELD naming it, so the alarm's description can say where to look and what to do
 * for each; the cause-specific metrics (TopAuthFailure, LeadsRejected, …) stay for the dashboard.
 */
export const NEEDS_OPERATOR = {
  /** TOP refused the session or the app's permissions (codes 26/27/11). */
  topAuthorization: 'top-authorization',
  /** No poll has succeeded for NO_POLL_INTERVALS intervals (failing, or stopped by bans); once per run of them. */
  noSuccessfulPoll: 'no-successful-poll',
  /** The poller could not read a lead record above the cursor: that lead is not forwarded. */
  leadRecordRejected: 'lead-record-rejected',
  /** The forwarder parked a lead in the DLQ (or failed to, so it goes there on a later receive). */
  leadParked: 'lead-parked',
  /** A mobile did not decrypt with MobilePrivateKey and went out encrypted. */
  mobileNotDecrypted: 'mobile-not-decrypted',
} as const;

export type NeedsOperatorCause = (typeof NEEDS_OPERATOR)[keyof typeof NEEDS_OPERATOR];

/** The log field that names the cause (Logs Insights: `filter ispresent(needsOperator)`). */
export const NEEDS_OPERATOR_FIELD = 'needsOperator';

/** Counts one NeedsOperator and returns the field for the log line that reports it. */
export function needsOperator(metrics: Metrics, cause: NeedsOperatorCause): { [NEEDS_OPERATOR_FIELD]: NeedsOperatorCause } {
  metrics.addMetric(METRIC.needsOperator, MetricUnit.Count, 1);
  return { [NEEDS_OPERATOR_FIELD]: cause };
}
