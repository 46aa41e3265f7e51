import { Aws, Duration, RemovalPolicy, type CfnResource } from 'aws-cdk-lib';
import { Alarm, CfnAlarm, ComparisonOperator, Stats, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FORWARDER_METRICS, POLLER_METRICS, serviceMetric } from './metrics';
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
 * worth a page: failures alarm when they occur in this many consecutive periods of this length.
 */
export const FAILURE_PERIOD = Duration.minutes(5);
export const FAILURE_PERIODS = 3;

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

/** Every condition an operator must act on, each an alarm that notifies one encrypted SNS topic. */
export class LeadForwarderAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { parameters, leads, deadLetters, poller, forwarder } = props;
    this.topic = this.encryptedTopic();
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
      description: 'Leads are parked in the dead-letter queue (an endpoint rejected them or kept failing for ~a day). Inspect them and replay with the CLI.',
    });
    this.add('LeadsWaiting', {
      metric: leads.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: Stats.MAXIMUM }),
      threshold: LEADS_AGE_ALARM_THRESHOLD.toSeconds(),
      operator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `A lead has waited on the queue for over ${LEADS_AGE_ALARM_THRESHOLD.toHumanString()}: the forwarder is not consuming or not keeping up. See its logs and errors.`,
    });
    this.add('PollerErrors', {
      metric: poller.metricErrors({ period: FAILURE_PERIOD, statistic: Stats.SUM }),
      threshold: 1,
      evaluationPeriods: FAILURE_PERIODS,
      description: `The poller function has failed in each of the last ${FAILURE_PERIODS} periods of ${FAILURE_PERIOD.toHumanString()}. See its logs.`,
    });
    this.add('PollFailed', {
      metric: serviceMetric(POLLER_METRICS.pollFailed, { period: FAILURE_PERIOD }),
      threshold: 1,
      evaluationPeriods: FAILURE_PERIODS,
      description: `Polls of the Alimama API have failed in each of the last ${FAILURE_PERIODS} periods of ${FAILURE_PERIOD.toHumanString()}. The poller log names the TOP error code.`,
    });
    this.add('TopAuthFailure', {
      metric: serviceMetric(POLLER_METRICS.topAuthFailure, { period: Duration.minutes(1) }),
      threshold: 1,
      description: 'TOP rejected the session or permissions (code 26/27: the merchant must re-authorize the app, then update TopSessionKey; code 11: check API permissions and the IP whitelist). No leads are pulled until then.',
    });
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
    this.add('EndpointGone', {
      metric: serviceMetric(FORWARDER_METRICS.endpointGone, { period: Duration.minutes(1) }),
      threshold: 1,
      description: 'A webhook endpoint answered 410 Gone and no longer receives leads. Fix or remove it by updating the Webhooks parameter.',
    });
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
      description: 'The forwarder function failed (a crash or timeout, not a failing endpoint): its whole batch is retried. See its logs.',
    });
  }

  private add(id: string, spec: { metric: IMetric; threshold: number; operator?: ComparisonOperator; evaluationPeriods?: number; treatMissingData?: TreatMissingData; description: string }): Alarm {
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
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * SNS encrypts only with KMS, and CloudWatch cannot use the AWS-managed SNS key, so the topic
   * has its own key (rotated yearly) that lets CloudWatch alarms of this account publish.
   */
  private encryptedTopic(): Topic {
    const key = new Key(this, 'TopicKey', {
      description: 'Encrypts the lead forwarder alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cloudwatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromThisAccount = { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } };
    key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" means this key
        conditions: fromThisAccount,
      }),
    );
    const topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true });
    // enforceSSL replaces the default topic policy, so CloudWatch needs an explicit allow.
    topic.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromThisAccount,
      }),
    );
    return topic;
  }
}
