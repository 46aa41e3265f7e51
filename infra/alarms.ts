import { Aws, Duration, Validations, type CfnResource } from 'aws-cdk-lib';
import { Alarm, CfnAlarm, ComparisonOperator, Metric, Stats, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NO_POLL_INTERVALS, noPollPeriodSeconds } from '../functions/poller/stall-watch';
import { NEEDS_OPERATOR, NEEDS_OPERATOR_FIELD } from '../functions/shared/observability/needs-operator';
import { FORWARDER_METRICS, METRICS_NAMESPACE, OPERATOR_METRICS, serviceMetric } from './metrics';
import type { LeadForwarderParameters } from './parameters';

/**
 * A lead that has waited an hour for its first delivery attempts is a cold lead: the forwarder
 * is not consuming or not keeping up. (SQS leaves a message out of this metric after its third
 * receive, so leads being retried for a failing endpoint show up in DeliveriesFailing and, in
 * the end, as parked: NeedsOperator.)
 */
export const LEADS_AGE_ALARM_THRESHOLD = Duration.hours(1);

// "No poll": the poller's own watch (functions/poller/stall-watch.ts) and the alarm share these.
export { MIN_ALARM_PERIOD_SECONDS, NO_POLL_INTERVALS, noPollPeriodSeconds } from '../functions/poller/stall-watch';

/**
 * Lead age at delivery (DESIGN §8) is at most about one poll interval (a lead waits for the next
 * poll) plus the trip through the queue and the endpoint. The alarm allows this much beyond the
 * interval for that trip, a late tick or a scheduler delivering late, and a slow endpoint; the
 * p95 staying above interval + allowance means leads go out later than the schedule promises
 * (polls failing or banned, the forwarder backed up, an endpoint retrying). A first run with
 * `StartFrom: all` delivers old leads and fires it once, truthfully.
 */
export const LEAD_AGE_ALLOWANCE = Duration.minutes(1);

/** The lead-age alarm's threshold (seconds, p95) for a poll interval. */
export function leadAgeThresholdSeconds(intervalSeconds: number): number {
  return intervalSeconds + LEAD_AGE_ALLOWANCE.toSeconds();
}

/**
 * A poll failure that the next poll recovers from (a network blip, a TOP "system busy") is not
 * worth a page; failures that persist are, on every schedule. The failure alarms look at the last
 * FAILURE_PERIODS periods of one poll interval, but at least FAILURE_PERIOD_FLOOR:
 * - Faster schedules (1, 2 minutes): every 5-minute period holds two or more polls, so the alarm
 *   fires when each of the last 3 periods had a failure, i.e. polls have failed for 15 minutes.
 * - Slower schedules (5 minutes to 1 hour): a period is one interval, but a poll reports some time
 *   after its tick (the scheduler may deliver up to TICK_MAX_AGE late, the poll runs up to
 *   POLLER_TIMEOUT), so a period may hold no poll and its neighbour two. Two periods in a row are
 *   never both empty, so "failures in FAILURE_DATAPOINTS_SLOW of the last 3" fires whenever the
 *   last 3 polls failed (and also for 2 failed polls out of 3); "all 3" would miss it.
 * A period without a report of failure is not breaching: a poll that succeeds reports none.
 */
export const FAILURE_PERIOD_FLOOR = Duration.minutes(5);
export const FAILURE_PERIODS = 3;
export const FAILURE_DATAPOINTS_SLOW = 2;

/** The failure alarms' period (seconds) for a poll interval. */
export function failurePeriodSeconds(intervalSeconds: number): number {
  return Math.max(FAILURE_PERIOD_FLOOR.toSeconds(), intervalSeconds);
}

/** How many of the FAILURE_PERIODS periods must hold a failure, for a poll interval. */
export function failureDatapoints(intervalSeconds: number): number {
  return intervalSeconds < FAILURE_PERIOD_FLOOR.toSeconds() ? FAILURE_PERIODS : FAILURE_DATAPOINTS_SLOW;
}

const PERSISTENT_FAILURES = `in each of the last ${FAILURE_PERIODS * FAILURE_PERIOD_FLOOR.toMinutes()} minutes (schedules faster than ${FAILURE_PERIOD_FLOOR.toHumanString()}) or in ${FAILURE_DATAPOINTS_SLOW} of the last ${FAILURE_PERIODS} poll intervals (slower schedules)`;

/** An endpoint failing (retries) in this many consecutive periods of this length is worth a look. */
export const RETRY_PERIOD = Duration.minutes(10);
export const RETRY_PERIODS = 3;

/**
 * What NeedsOperator means, cause by cause (CloudWatch keeps 1,024 characters of a description,
 * the stack name included: test/infra/alarms.test.ts). While the alarm is in ALARM a new cause
 * does not notify again, so every cause is read from the logs, not from the e-mail.
 */
const NEEDS_OPERATOR_DESCRIPTION =
  `Something needs you. Find each cause in the functions' logs: Logs Insights, filter ispresent(${NEEDS_OPERATOR_FIELD}). ` +
  `${NEEDS_OPERATOR.topAuthorization}: TOP refused the session or permissions (26/27: the merchant re-authorizes the app, then update TopSessionKey; 11: API permissions, IP whitelist). ` +
  `${NEEDS_OPERATOR.noSuccessfulPoll}: no poll succeeded in ${NO_POLL_INTERVALS} intervals; the line says the last error or a TOP rate limit. ` +
  `${NEEDS_OPERATOR.leadRecordRejected}: the poller could not read a record (the line says why); that lead is not forwarded, pass it on by hand. ` +
  `${NEEDS_OPERATOR.leadParked}: a lead went to the dead-letter queue (refused, endpoint gone, out of attempts); fix the cause, then lead-forwarder replay --stack <name>. An endpoint that answered 410 gets nothing until its url changes in the Webhooks parameter. ` +
  `${NEEDS_OPERATOR.mobileNotDecrypted}: a mobile went out encrypted; if all do, update MobilePrivateKey.`;

export interface AlarmsProps {
  parameters: LeadForwarderParameters;
  leads: Queue;
  poller: IFunction;
  forwarder: IFunction;
}

/** Every condition an operator must act on, each an alarm that notifies one TLS-only SNS topic. */
export class LeadForwarderAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** The functions' own metrics (METRICS_NAMESPACE) the alarms read: all the lean setting publishes. */
  readonly customMetricNames: string[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { parameters, leads, poller, forwarder } = props;
    this.topic = this.alarmTopic();
    this.action = new SnsAction(this.topic);

    const email = new Subscription(this, 'Email', {
      topic: this.topic,
      protocol: SubscriptionProtocol.EMAIL,
      endpoint: parameters.alarmEmail.valueAsString,
    });
    (email.node.defaultChild as CfnResource).cfnOptions.condition = parameters.hasAlarmEmail;

    // No alarm on the DLQ's depth: every lead the forwarder parks, or fails to park, counts as
    // NeedsOperator (below), and the only other way into the DLQ, SQS's redrive after a last
    // receive the forwarder did not finish, follows a forwarder crash or timeout (ForwarderErrors)
    // or, rarer still, a throttled invocation when the account's concurrency is used up.
    this.add('LeadsWaiting', {
      metric: leads.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: Stats.MAXIMUM }),
      threshold: LEADS_AGE_ALARM_THRESHOLD.toSeconds(),
      operator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `A lead has waited on the queue for over ${LEADS_AGE_ALARM_THRESHOLD.toHumanString()}: the forwarder is not consuming or not keeping up. See its logs and errors.`,
    });
    // Lambda's own Errors (free) and not the custom PollFailed: a failed poll throws (the handler
    // rethrows after counting it), so it is a function error too, and so are a crash and a timeout.
    this.addFailureAlarm(parameters, 'PollerErrors', {
      metric: poller.metricErrors({ period: FAILURE_PERIOD_FLOOR, statistic: Stats.SUM }),
      description: `Polls have failed ${PERSISTENT_FAILURES}. The poller log ("poll failed") names the TOP error code, or shows a crash or timeout.`,
    });
    const notRunning = this.add('PollerNotRunning', {
      // Lambda's own Invocations (free): a heartbeat of the poller's own would be a custom metric
      // published every interval ($0.30 a month). Polls that run but do not succeed (failing, or
      // kept from reading by TOP bans) are the poller's to tell: NeedsOperator, no-successful-poll.
      // The period is one poll interval; CloudWatch resolves it from PollSchedule (below).
      metric: poller.metricInvocations({ period: Duration.minutes(1), statistic: Stats.SUM }),
      threshold: 1,
      operator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: NO_POLL_INTERVALS,
      // No data at all means nothing invoked the poller: that is exactly the failure to catch.
      treatMissingData: TreatMissingData.BREACHING,
      description: `The poller has not run in ${NO_POLL_INTERVALS} poll intervals (${NO_POLL_INTERVALS} minutes on sub-minute schedules): leads are not being pulled. Check the schedule (EventBridge Scheduler, enabled, its role) and the poller's throttles.`,
    });
    // CDK checks a metric period when it is built and cannot check a deploy-time value.
    (notRunning.node.defaultChild as CfnAlarm).addPropertyOverride('Period', parameters.bySchedule(noPollPeriodSeconds));
    // Periods as the failure alarms' (a 5-minute period, or one interval on slow schedules, in
    // which leads arrive as bursts after each poll); no delivery, no datapoint, not breaching.
    const leadAge = this.add('LeadAge', {
      metric: serviceMetric(FORWARDER_METRICS.leadAgeSeconds, { period: FAILURE_PERIOD_FLOOR, statistic: Stats.p(95) }),
      threshold: leadAgeThresholdSeconds(60),
      operator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: FAILURE_PERIODS,
      description: `Leads reach the webhooks late: the p95 of lead age at delivery (accepted minus gmt_create) has stayed above the poll interval + ${LEAD_AGE_ALLOWANCE.toHumanString()} ${PERSISTENT_FAILURES}. Check the poll alarms, TopRateLimited, the leads queue and the endpoints' retries.`,
    });
    const leadAgeCfn = leadAge.node.defaultChild as CfnAlarm;
    leadAgeCfn.addPropertyOverride('Threshold', parameters.bySchedule(leadAgeThresholdSeconds));
    leadAgeCfn.addPropertyOverride('Period', parameters.bySchedule(failurePeriodSeconds));
    leadAgeCfn.addPropertyOverride('DatapointsToAlarm', parameters.bySchedule(failureDatapoints));
    // One alarm for every event a person must act on (functions/shared/observability/needs-operator.ts):
    // CloudWatch bills each alarm, and these are rare. The log line of each names its cause.
    this.add('NeedsOperator', {
      metric: serviceMetric(OPERATOR_METRICS.needsOperator, { period: Duration.minutes(1) }),
      threshold: 1,
      event: true,
      description: NEEDS_OPERATOR_DESCRIPTION,
    });
    this.add('DeliveriesFailing', {
      // Per-endpoint metrics cannot be alarmed on across endpoints (no SEARCH in alarms), and SQS
      // stops counting a retried message's age after its third receive: this service-level count
      // is what shows an endpoint failing for a while, long before its leads reach the DLQ.
      metric: serviceMetric(FORWARDER_METRICS.deliveriesRetrying, { period: RETRY_PERIOD }),
      threshold: 1,
      evaluationPeriods: RETRY_PERIODS,
      description: `Deliveries have been retried in each of the last ${RETRY_PERIODS} periods of ${RETRY_PERIOD.toHumanString()}: an endpoint keeps failing (429/5xx/timeouts). The forwarder log names it; its leads wait on the queue and are parked after ~a day.`,
    });
    this.add('ForwarderErrors', {
      metric: forwarder.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 1,
      description:
        'The forwarder function failed (a crash or timeout, not a failing endpoint): its whole batch is retried, and a lead whose last receive fails this way goes to the dead-letter queue. See its logs.',
    });
  }

  /** An alarm on poll failures that persist, its period and "M out of N" resolved from PollSchedule (above). */
  private addFailureAlarm(
    parameters: LeadForwarderParameters,
    id: string,
    spec: { metric: IMetric; description: string },
  ): Alarm {
    const alarm = this.add(id, { ...spec, threshold: 1, evaluationPeriods: FAILURE_PERIODS });
    // CDK checks a metric period when it is built and cannot check a deploy-time value.
    const cfn = alarm.node.defaultChild as CfnAlarm;
    cfn.addPropertyOverride('Period', parameters.bySchedule(failurePeriodSeconds));
    cfn.addPropertyOverride('DatapointsToAlarm', parameters.bySchedule(failureDatapoints));
    return alarm;
  }

  /**
   * `event`: the alarm counts events (a rejected record, a 410, an auth failure), not a state. It
   * notifies on ALARM only: its return to OK a minute later means "no new event", not "fixed",
   * and an OK e-mail would say the opposite of the truth.
   */
  private add(
    id: string,
    spec: {
      metric: IMetric;
      threshold: number;
      operator?: ComparisonOperator;
      evaluationPeriods?: number;
      treatMissingData?: TreatMissingData;
      event?: boolean;
      description: string;
    },
  ): Alarm {
    const evaluationPeriods = spec.evaluationPeriods ?? 1;
    const alarm = new Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.operator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: `${Aws.STACK_NAME}: ${spec.description}`,
    });
    if (spec.metric instanceof Metric && spec.metric.namespace === METRICS_NAMESPACE)
      this.customMetricNames.push(spec.metric.metricName);
    alarm.addAlarmAction(this.action);
    if (spec.event !== true) alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * TLS only, without server-side encryption. SNS encrypts only with KMS, and CloudWatch alarms
   * cannot publish with the AWS-managed key (its policy does not let them:
   * https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns), so encryption at rest
   * would take a customer-managed key at $1 a month, more than the rest of the alarms' plumbing.
   * It would protect nothing: a notification holds the alarm's name, its fixed description and
   * metric values (no lead, no secret), and the e-mail it becomes travels unencrypted anyway.
   */
  private alarmTopic(): Topic {
    const topic = new Topic(this, 'Topic', { enforceSSL: true });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names, fixed descriptions and metric values, never a lead or a secret, and leave SNS as plain e-mail; ' +
        'CloudWatch cannot publish with the free AWS-managed key, and a customer-managed key would cost $1 a month for nothing (infra/cost).',
    });
    // enforceSSL replaces the default topic policy, so CloudWatch needs an explicit allow.
    topic.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return topic;
  }
}
