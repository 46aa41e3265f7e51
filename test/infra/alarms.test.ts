import { RETRY_PERIOD, RETRY_PERIODS, LEADS_AGE_ALARM_THRESHOLD, NO_POLL_INTERVALS } from '../../infra/alarms';
import { ENDPOINT_METRICS, FORWARDER_METRICS, POLLER_METRICS } from '../../infra/metrics';
import { POLL_SCHEDULES } from '../../infra/parameters';
import { Intrinsics, functions, only, props, refersTo, resourcesOfType, synth, type CfnResource } from './support';

const { json } = synth();
const { poller, forwarder } = functions(json);
const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm);
const [topicId, topic] = only(resourcesOfType(json, 'AWS::SNS::Topic'), 'alarm topic');
const queues = resourcesOfType(json, 'AWS::SQS::Queue');
const [leadsId] = only(queues.filter(([, q]) => props(q).RedrivePolicy !== undefined), 'leads queue');
const [dlqId] = only(queues.filter(([, q]) => props(q).RedrivePolicy === undefined), 'dead-letter queue');

type Dimension = { Name: string; Value: unknown };

function alarmsOn(metricName: string, namespace: string, dimension?: (d: Dimension[]) => boolean): CfnResource[] {
  return alarms.filter((alarm) => {
    const p = props(alarm);
    return p.MetricName === metricName && p.Namespace === namespace && (dimension === undefined || dimension((p.Dimensions as Dimension[] | undefined) ?? []));
  });
}

const ofStack = (dimensions: Dimension[]): boolean =>
  dimensions.length === 1 && dimensions[0]!.Name === 'service' && JSON.stringify(dimensions[0]!.Value) === JSON.stringify({ Ref: 'AWS::StackName' });
const ofResource = (logicalId: string) => (dimensions: Dimension[]): boolean => dimensions.some((d) => refersTo(d.Value, logicalId));

function theAlarm(metricName: string, namespace: string, dimension: (d: Dimension[]) => boolean): Record<string, unknown> {
  const found = only(alarmsOn(metricName, namespace, dimension), `alarm on ${metricName}`);
  // Every alarm notifies the topic, and tells when it is over.
  expect(props(found).AlarmActions).toEqual([{ Ref: topicId }]);
  expect(props(found).OKActions).toEqual([{ Ref: topicId }]);
  expect(String(JSON.stringify(props(found).AlarmDescription)).length).toBeGreaterThan(40);
  return props(found);
}

describe('alarms', () => {
  it('fire when anything is in the dead-letter queue', () => {
    const alarm = theAlarm('ApproximateNumberOfMessagesVisible', 'AWS/SQS', ofResource(dlqId));
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('fire when a lead has waited on the queue too long', () => {
    const alarm = theAlarm('ApproximateAgeOfOldestMessage', 'AWS/SQS', ofResource(leadsId));
    expect(alarm).toMatchObject({ Threshold: LEADS_AGE_ALARM_THRESHOLD.toSeconds(), ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('fire on poller function errors and on failed polls', () => {
    expect(theAlarm('Errors', 'AWS/Lambda', ofResource(poller[0])).Threshold).toBe(1);
    expect(theAlarm(POLLER_METRICS.pollFailed, 'LeadForwarder', ofStack).Threshold).toBe(1);
  });

  it('fire on the first TOP authorization failure (the merchant must re-authorize)', () => {
    const alarm = theAlarm(POLLER_METRICS.topAuthFailure, 'LeadForwarder', ofStack);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
  });

  it('fire when no poll has succeeded for several intervals, silence included', () => {
    const alarm = theAlarm(POLLER_METRICS.pollSucceeded, 'LeadForwarder', ofStack);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', EvaluationPeriods: NO_POLL_INTERVALS });
    // One period is one poll interval, whichever schedule is chosen.
    for (const { expression, seconds } of POLL_SCHEDULES) expect(new Intrinsics(json, { PollSchedule: expression }).evaluate(alarm.Period)).toBe(seconds);
  });

  it('fire when an endpoint is gone (410)', () => {
    expect(theAlarm(FORWARDER_METRICS.endpointGone, 'LeadForwarder', ofStack)).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('fire when deliveries keep being retried (an endpoint failing for a while)', () => {
    expect(theAlarm(FORWARDER_METRICS.deliveriesRetrying, 'LeadForwarder', ofStack)).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: RETRY_PERIODS, Period: RETRY_PERIOD.toSeconds() });
  });

  it('fire on forwarder function errors', () => {
    expect(theAlarm('Errors', 'AWS/Lambda', ofResource(forwarder[0])).Threshold).toBe(1);
  });

  it('go to an encrypted, TLS-only topic, and to an email address only when one is given', () => {
    expect(props(topic).KmsMasterKeyId).toBeDefined();
    const policy = only(resourcesOfType(json, 'AWS::SNS::TopicPolicy'), 'topic policy')[1];
    const statements = (props(policy).PolicyDocument as { Statement: { Effect: string; Principal?: unknown; Condition?: unknown }[] }).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }));
    const [, subscription] = only(resourcesOfType(json, 'AWS::SNS::Subscription'), 'email subscription');
    expect(props(subscription)).toMatchObject({ Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' }, TopicArn: { Ref: topicId } });
    expect(new Intrinsics(json, { AlarmEmail: '' }).condition(subscription.Condition!)).toBe(false);
    expect(new Intrinsics(json, { AlarmEmail: 'ops@example.com' }).condition(subscription.Condition!)).toBe(true);
  });
});

describe('dashboard', () => {
  const [, dashboard] = only(resourcesOfType(json, 'AWS::CloudWatch::Dashboard'), 'dashboard');
  const stand = Object.fromEntries(Object.keys(json.Resources).flatMap((id) => [[id, id], [`${id}.QueueName`, `queue-${id}`], [`${id}.Arn`, `arn-${id}`]]));
  const body = JSON.parse(
    String(new Intrinsics(json, {}, { ...stand, 'AWS::StackName': 'shop-a', 'AWS::Region': 'cn-north-1' }).evaluate(props(dashboard).DashboardBody)),
  ) as { widgets: { properties: { metrics?: unknown[] } }[] };
  const metrics = JSON.stringify(body.widgets.map((w) => w.properties.metrics ?? []));

  it('shows per-endpoint deliveries, failures and latency of this stack only', () => {
    for (const name of [ENDPOINT_METRICS.delivered, ENDPOINT_METRICS.deliveryRetried, ENDPOINT_METRICS.deliveryRejected, ENDPOINT_METRICS.deliveryLatencyMs]) {
      expect(metrics).toContain(`SEARCH('{LeadForwarder,endpoint,service} MetricName=\\"${name}\\" service=\\"shop-a\\"'`);
    }
  });

  it('shows leads fetched and enqueued, poll duration and cursor lag', () => {
    for (const name of [POLLER_METRICS.leadsFetched, POLLER_METRICS.leadsEnqueued, POLLER_METRICS.pollDurationMs, POLLER_METRICS.cursorLagSeconds]) {
      expect(metrics).toMatch(new RegExp(`"LeadForwarder","${name}","service","shop-a"`));
    }
  });

  it('shows the depth of the leads queue and the DLQ', () => {
    expect(metrics).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","queue-${leadsId}"`);
    expect(metrics).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","queue-${dlqId}"`);
  });
});
