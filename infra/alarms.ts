import { Aws, Duration, Validations, type CfnResource } from 'aws-cdk-lib';
import { Alarm, CfnAlarm, ComparisonOperator, Metric, Stats, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FORWARDER_METRICS, METRICS_NAMESPACE, POLLER_METRICS, serviceMetric } from './metrics';
import type { LeadForwarderParameters } from './parameters';

/**
 * A lead that has waited an hour for its first delivery attempts is a cold lead: the forwarder
 * is not consuming or not keeping up. (SQS leaves a message out of this metric after its third
 * receive, so leads being retried for a failing endpoint show up as DeliveryRetried on the
 * dashboard and, in the end, in the dead-letter alarm.)
 */
export const LEADS_AGE_ALARM_THRESHOLD = Duration.hours(1);

/** "The poller has stopped": this many poll intervals in a row without a successful poll. */
export const NO_POLL_INTERVALS = 5;

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

export interface AlarmsProps {
  parameters: LeadForwarderParameters;
  leads: Queue;
  deadLetters: Queue;
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
    const { parameters, leads, deadLetters, poller, forwarder } = props;
    this.topic = this.alarmTopic();
    this.action = new SnsAction(this.topic);

    const email = new Subscription(this, 'Email', {
      topic: this.topic,
      protocol: SubscriptionProtocol.EMAIL,
      endpoint: parameters.alarmEmail.valueAsString,
    });
    (email.node.defaultChild as CfnResource).cfnOptions.condition = parameters.hasAlarmEmail;

    this.add('DeadLetters', {
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: Stats.MAXIMUM }),
      threshold: 0,
      operator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        'Leads are parked in the dead-letter queue (an endpoint rejected them or kept failing for ~a day). Inspect them and replay with the CLI.',
    });
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
    this.addEvent(
      'TopAuthFailure',
      POLLER_METRICS.topAuthFailure,
      'TOP rejected the session or permissions (code 26/27: the merchant must re-authorize the app, then update TopSessionKey; code 11: check API permissions and the IP whitelist). No leads are pulled until then.',
    );
    const noPoll = this.add('NoSuccessfulPoll', {
      // The period is one poll interval; CloudWatch resolves it from PollSchedule (below).
      metric: serviceMetric(POLLER_METRICS.pollSucceeded, { period: Duration.minutes(1) }),
      threshold: 1,
      operator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: NO_POLL_INTERVALS,
      // No data at all means no poll reported anything: that is exactly the failure to catch.
      treatMissingData: TreatMissingData.BREACHING,
      description: `No successful poll in ${NO_POLL_INTERVALS} poll intervals: leads are not being pulled. Check the poller's logs and the other alarms.`,
    });
    // CDK checks a metric period when it is built and cannot check a deploy-time value.
    (noPoll.node.defaultChild as CfnAlarm).addPropertyOverride('Period', parameters.pollIntervalSecondsNumber);
    // The poller skips a record it cannot read (e.g. an unusable id) and goes on with the page:
    // without this alarm that lead would silently never be delivered.
    this.addEvent(
      'LeadsRejected',
      POLLER_METRICS.leadsRejected,
      'The poller rejected a lead record it could not read (e.g. no usable id): that lead is not forwarded. The poller log ("lead record rejected") names each record\'s problem; look the lead up in Alimama and pass it on by hand.',
    );
    // The DLQ alarm fires once, when the DLQ stops being empty; this one fires for each new
    // run of parking, so leads parked while older ones wait are not missed. It is also the
    // alarm of an endpoint gone (410): such a lead is parked as soon as no other endpoint still
    // retries it (functions/forwarder/disposition.ts), so EndpointGone needs no alarm of its own.
    this.addEvent(
      'LeadParked',
      FORWARDER_METRICS.deliveryDeadLettered,
      'The forwarder parked a lead in the dead-letter queue (refused, endpoint gone, or out of attempts). The forwarder log ("lead parked in the dead-letter queue") gives each lead id and reason; fix the cause, then run `lead-forwarder replay --stack <name>`. An endpoint that answered 410 Gone receives no more leads until its url changes: fix or remove it by updating the Webhooks parameter.',
    );
    this.addEvent(
      'MobileDecryptFailed',
      FORWARDER_METRICS.mobileDecryptFailed,
      "A lead's mobile did not decrypt with MobilePrivateKey, so it went out still encrypted (mobile_encrypted: true). If every lead does this, the key is wrong or was rotated by Alimama: update MobilePrivateKey.",
    );
    this.add('DeliveriesFailing', {
      // Per-endpoint metrics cannot be alarmed on across endpoints (no SEARCH in alarms), and SQS
      // stops counting a retried message's age after its third receive: this service-level count
      // is what shows an endpoint failing for a while, long before its leads reach the DLQ.
      metric: serviceMetric(FORWARDER_METRICS.deliveriesRetrying, { period: RETRY_PERIOD }),
      threshold: 1,
      evaluationPeriods: RETRY_PERIODS,
      description: `Deliveries have been retried in each of the last ${RETRY_PERIODS} periods of ${RETRY_PERIOD.toHumanString()}: an endpoint keeps failing (429/5xx/timeouts). The forwarder log names it; its leads wait on the queue and reach the DLQ after ~a day.`,
    });
    this.add('ForwarderErrors', {
      metric: forwarder.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 1,
      description:
        'The forwarder function failed (a crash or timeout, not a failing endpoint): its whole batch is retried. See its logs.',
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

  /** An alarm on events of one metric: a single one in a minute notifies (ALARM only, see `add`). */
  private addEvent(id: string, metricName: string, description: string): Alarm {
    return this.add(id, {
      metric: serviceMetric(metricName, { period: Duration.minutes(1) }),
      threshold: 1,
      event: true,
      description,
    });
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
