import {
  RETRY_PERIOD,
  RETRY_PERIODS,
  LEADS_AGE_ALARM_THRESHOLD,
  LEAD_AGE_ALLOWANCE,
  NO_POLL_INTERVALS,
} from '../../infra/alarms';
import { ENDPOINT_METRICS, FORWARDER_METRICS, OPERATOR_METRICS, POLLER_METRICS } from '../../infra/metrics';
import { POLL_SCHEDULES } from '../../infra/parameters';
import { POLLER_TIMEOUT, TICK_MAX_AGE } from '../../infra/poller';
import { MAX_RECEIVE_COUNT } from '../../infra/queues';
import { dispositionOf } from '../../functions/forwarder/disposition';
import type { EndpointResult } from '../../functions/forwarder/ports';
import { NEEDS_OPERATOR } from '../../functions/shared/observability/needs-operator';
import { OBSERVABILITY_ENV, publishedMetricNames } from '../../functions/shared/observability/observability';
import { Intrinsics, environmentOf, functions, only, props, refersTo, resourcesOfType, synth, type CfnResource } from './support';

const { json } = synth();
const { poller, forwarder } = functions(json);
const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm);
const [topicId, topic] = only(resourcesOfType(json, 'AWS::SNS::Topic'), 'alarm topic');
const queues = resourcesOfType(json, 'AWS::SQS::Queue');
const [leadsId] = only(
  queues.filter(([, q]) => props(q).RedrivePolicy !== undefined),
  'leads queue',
);
// The leads queue's redrive target (the poller's tick queue has no DLQ and is none).
const dlqId = (
  props(queues.find(([id]) => id === leadsId)![1]).RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': [string] } }
).deadLetterTargetArn['Fn::GetAtt'][0];

type Dimension = { Name: string; Value: unknown };

function alarmsOn(metricName: string, namespace: string, dimension?: (d: Dimension[]) => boolean): CfnResource[] {
  return alarms.filter((alarm) => {
    const p = props(alarm);
    return (
      p.MetricName === metricName &&
      p.Namespace === namespace &&
      (dimension === undefined || dimension((p.Dimensions as Dimension[] | undefined) ?? []))
    );
  });
}

const ofStack = (dimensions: Dimension[]): boolean =>
  dimensions.length === 1 &&
  dimensions[0]!.Name === 'service' &&
  JSON.stringify(dimensions[0]!.Value) === JSON.stringify({ Ref: 'AWS::StackName' });
const ofResource =
  (logicalId: string) =>
  (dimensions: Dimension[]): boolean =>
    dimensions.some((d) => refersTo(d.Value, logicalId));

/** Alarms on events (a rejected record, a parked lead, an auth failure): back to OK means "no new one", not "fixed". */
const EVENT_METRICS = new Set<string>([OPERATOR_METRICS.needsOperator]);

function theAlarm(metricName: string, namespace: string, dimension: (d: Dimension[]) => boolean): Record<string, unknown> {
  const found = only(alarmsOn(metricName, namespace, dimension), `alarm on ${metricName}`);
  // Every alarm notifies the topic; those on a state also tell when it is over, those on events do not.
  expect(props(found).AlarmActions).toEqual([{ Ref: topicId }]);
  expect(props(found).OKActions).toEqual(EVENT_METRICS.has(metricName) ? undefined : [{ Ref: topicId }]);
  expect(String(JSON.stringify(props(found).AlarmDescription)).length).toBeGreaterThan(40);
  return props(found);
}

const theNeedsOperatorAlarm = (): Record<string, unknown> => theAlarm(OPERATOR_METRICS.needsOperator, 'LeadForwarder', ofStack);

/** How long after its tick a poll can report: the scheduler may deliver late, and the poll runs until its timeout. */
const MAX_REPORT_DELAY = TICK_MAX_AGE.toSeconds() + POLLER_TIMEOUT.toSeconds();

interface FailureRule {
  period: number;
  periods: number;
  datapoints: number;
}

/** The failure alarm's period and "M out of N", as CloudFormation resolves them for a schedule. */
function failureRule(alarm: Record<string, unknown>, schedule: string): FailureRule {
  const intrinsics = new Intrinsics(json, { PollSchedule: schedule });
  const periods = intrinsics.evaluate(alarm.EvaluationPeriods) as number;
  return {
    period: intrinsics.evaluate(alarm.Period) as number,
    periods,
    datapoints: (intrinsics.evaluate(alarm.DatapointsToAlarm) as number | undefined) ?? periods,
  };
}

/** Delays of each poll's report after its tick (seconds), from tame to adversarial. */
const DELAYS: [string, (k: number) => number][] = [
  ['none', () => 0],
  ['longest', () => MAX_REPORT_DELAY - 1],
  ['alternating', (k) => (k % 2 === 0 ? 0 : MAX_REPORT_DELAY - 1)],
  ['every third late', (k) => (k % 3 === 0 ? MAX_REPORT_DELAY - 1 : 0)],
  ...[1, 2, 3].map((seed): [string, (k: number) => number] => [
    'random ' + seed,
    (k) => Math.floor(pseudoRandom(seed * 1000 + k) * MAX_REPORT_DELAY),
  ]),
];

function pseudoRandom(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

/** Where the first tick falls against the alarm's periods (which start at multiples of the period). */
function phasesFor(seconds: number): number[] {
  return [0, 1, 30, 75, 149, 150, 299, seconds - MAX_REPORT_DELAY, seconds - 60, seconds - 1].filter(
    (p) => p >= 0 && p < seconds,
  );
}

/** When each failing poll reports: a tick every interval from `phase`, each poll `failing(k)` or not. */
function failureReports(
  seconds: number,
  phase: number,
  delay: (k: number) => number,
  failing: (k: number) => boolean,
  polls = Math.ceil((6 * 3600) / seconds) + 10,
): number[] {
  const reports: number[] = [];
  for (let k = 0; k < polls; k += 1) if (failing(k)) reports.push(3600 + phase + k * seconds + delay(k));
  return reports.sort((a, b) => a - b);
}

const periodEnd = (time: number, period: number): number => (Math.floor(time / period) + 1) * period;

/**
 * When CloudWatch first puts the alarm in ALARM: at the end of each period it looks at the last
 * `periods` periods, a period with a report is breaching (threshold 1), one without is missing
 * data, treated as not breaching.
 */
function firstAlarm(rule: FailureRule, reports: number[]): number | undefined {
  if (reports.length === 0) return undefined;
  const breaching = new Set(reports.map((t) => Math.floor(t / rule.period)));
  const last = Math.floor(reports[reports.length - 1]! / rule.period) + rule.periods;
  for (let end = 1; end <= last + 1; end += 1) {
    let count = 0;
    for (let p = end - rule.periods; p < end; p += 1) if (breaching.has(p)) count += 1;
    if (count >= rule.datapoints) return end * rule.period;
  }
  return undefined;
}

describe('alarms', () => {
  it('are few: CloudWatch bills $0.10 a month for each (infra/cost), and the README counts on seven', () => {
    expect(alarms).toHaveLength(7);
    // No alarm on the DLQ's depth: the forwarder counts every lead it parks as NeedsOperator
    // (test/integration/forwarder/forward.test.ts), and a redrive by SQS follows a forwarder error.
    expect(alarmsOn('ApproximateNumberOfMessagesVisible', 'AWS/SQS', ofResource(dlqId))).toEqual([]);
  });

  it('fire when a lead has waited on the queue too long', () => {
    const alarm = theAlarm('ApproximateAgeOfOldestMessage', 'AWS/SQS', ofResource(leadsId));
    expect(alarm).toMatchObject({ Threshold: LEADS_AGE_ALARM_THRESHOLD.toSeconds(), ComparisonOperator: 'GreaterThanThreshold' });
  });

  it("fire on poller function errors, which every failed poll is (Lambda's free metric, not the custom PollFailed)", () => {
    // A failed poll counts PollFailed and then throws (test/infra/bundle.test.ts: the bundle's
    // handler rejects when a poll fails), so this alarm fires whenever one on PollFailed would.
    const alarm = theAlarm('Errors', 'AWS/Lambda', ofResource(poller[0]));
    expect(alarm.Threshold).toBe(1);
    expect(JSON.stringify(alarm.AlarmDescription)).toMatch(/TOP error code/);
    expect(alarmsOn(POLLER_METRICS.pollFailed, 'LeadForwarder')).toEqual([]);
  });

  describe.each([['poller function errors', () => theAlarm('Errors', 'AWS/Lambda', ofResource(poller[0]))]])(
    'on %s',
    (_, alarmOf) => {
      const alarm = alarmOf();

      it('look at 5-minute periods on fast schedules and at one poll interval on slow ones', () => {
        expect(failureRule(alarm, 'rate(1 minute)')).toEqual({ period: 300, periods: 3, datapoints: 3 });
        expect(failureRule(alarm, 'rate(5 minutes)')).toEqual({ period: 300, periods: 3, datapoints: 2 });
        expect(failureRule(alarm, 'rate(1 hour)')).toEqual({ period: 3600, periods: 3, datapoints: 2 });
        expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      });

      it.each(POLL_SCHEDULES.map((s) => [s.expression, s.seconds]))(
        'at %s, fire once the last 3 polls (and at least 15 minutes of polls) have failed, however the ticks jitter',
        (expression, seconds) => {
          const rule = failureRule(alarm, expression);
          for (const phase of phasesFor(seconds))
            for (const [name, delay] of DELAYS) {
              const reports = failureReports(seconds, phase, delay, () => true);
              const fired = firstAlarm(rule, reports);
              const deadline = Math.max(periodEnd(reports[2]!, rule.period), reports[0]! + 15 * 60);
              expect({ phase, name, fired: fired !== undefined && fired <= deadline }).toEqual({ phase, name, fired: true });
            }
        },
      );

      it.each(POLL_SCHEDULES.map((s) => [s.expression, s.seconds]))(
        'at %s, never fire for one failed poll that the next poll recovers from',
        (expression, seconds) => {
          const rule = failureRule(alarm, expression);
          for (const phase of phasesFor(seconds))
            for (const [name, delay] of DELAYS)
              expect({
                phase,
                name,
                fired: firstAlarm(
                  rule,
                  failureReports(seconds, phase, delay, (k) => k === 5),
                ),
              }).toEqual({ phase, name, fired: undefined });
        },
      );
    },
  );

  it("fire when the poller has not run for several intervals, silence included (Lambda's free Invocations)", () => {
    const alarm = theAlarm('Invocations', 'AWS/Lambda', ofResource(poller[0]));
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: NO_POLL_INTERVALS,
      Statistic: 'Sum',
    });
    // One period is one poll interval, whichever schedule is chosen; on sub-minute schedules a
    // minute (the metrics are standard resolution; CloudWatch takes 10, 30 or multiples of 60 s).
    for (const { expression, seconds } of POLL_SCHEDULES) {
      const period = new Intrinsics(json, { PollSchedule: expression }).evaluate(alarm.Period) as number;
      expect(period).toBe(Math.max(60, seconds));
      expect(period % 60).toBe(0);
      expect(period * NO_POLL_INTERVALS).toBeLessThanOrEqual(86_400);
    }
    // Polls that run but do not succeed are the poller's own report (test/integration/poller/needs-operator.test.ts).
    expect(JSON.stringify(theNeedsOperatorAlarm().AlarmDescription)).toContain(NEEDS_OPERATOR.noSuccessfulPoll);
  });

  describe.each(POLL_SCHEDULES.map((s) => [s.expression, s.seconds] as const))('at %s', (expression, seconds) => {
    const intrinsics = new Intrinsics(json, { PollSchedule: expression });
    it('every alarm period is one CloudWatch accepts for standard-resolution metrics (a multiple of 60 s, at most a day in all)', () => {
      for (const alarm of alarms) {
        const p = props(alarm);
        const period = intrinsics.evaluate(p.Period) as number;
        expect(period % 60).toBe(0);
        expect(period * (intrinsics.evaluate(p.EvaluationPeriods) as number)).toBeLessThanOrEqual(86_400);
        const datapoints = intrinsics.evaluate(p.DatapointsToAlarm) as number | undefined;
        if (datapoints !== undefined) expect(datapoints).toBeLessThanOrEqual(intrinsics.evaluate(p.EvaluationPeriods) as number);
      }
    });

    it(`fire when the p95 lead age at delivery stays above the interval + ${LEAD_AGE_ALLOWANCE.toHumanString()}`, () => {
      const alarm = theAlarm(FORWARDER_METRICS.leadAgeSeconds, 'LeadForwarder', ofStack);
      expect(alarm).toMatchObject({
        ExtendedStatistic: 'p95',
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(intrinsics.evaluate(alarm.Threshold)).toBe(seconds + LEAD_AGE_ALLOWANCE.toSeconds());
      // Periods as the failure alarms' (poll failures alarm on the poller's Lambda errors): a persistent condition, not one slow burst.
      const failures = theAlarm('Errors', 'AWS/Lambda', ofResource(poller[0]));
      expect(failureRule(alarm, expression)).toEqual(failureRule(failures, expression));
      // The median a lead waits for its poll (half an interval) is far below it on every schedule.
      expect(seconds / 2 + 2).toBeLessThan(intrinsics.evaluate(alarm.Threshold) as number);
    });
  });

  it('fire on the first event of any cause an operator must act on, one alarm on NeedsOperator, its description saying what to do for each', () => {
    const alarm = theNeedsOperatorAlarm();
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      Period: 60,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
    const description = JSON.stringify(alarm.AlarmDescription);
    for (const cause of Object.values(NEEDS_OPERATOR)) expect(description).toContain(`${cause}:`);
    expect(description).toContain('ispresent(needsOperator)');
    for (const remedy of [/TopSessionKey/, /not forwarded/, /replay --stack/, /MobilePrivateKey/, /rate limit/])
      expect(description).toMatch(remedy);
    // CloudWatch keeps 1,024 characters, and the description starts with the stack name (128 at most).
    const text = (alarm.AlarmDescription as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
      .filter((part): part is string => typeof part === 'string')
      .join('');
    expect(text.length + 128).toBeLessThanOrEqual(1024);
    // The cause-specific metrics stay for the dashboard, with no alarm of their own.
    for (const name of [POLLER_METRICS.topAuthFailure, POLLER_METRICS.leadsRejected, FORWARDER_METRICS.mobileDecryptFailed])
      expect(alarmsOn(name, 'LeadForwarder')).toEqual([]);
  });

  it('fire when an endpoint is gone (410): its lead is parked, so NeedsOperator fires and says what to fix', () => {
    // A lead with a gone endpoint is parked as soon as no other endpoint still retries it, and
    // at the latest on its last receive: every 410 ends in a parked lead.
    const gone: EndpointResult = { endpoint: 'crm', state: 'gone', reason: '410 Gone' };
    const delivered: EndpointResult = { endpoint: 'erp', state: 'delivered' };
    const retrying: EndpointResult = { endpoint: 'erp', state: 'retry', reason: '503' };
    const rules = { maxReceiveCount: MAX_RECEIVE_COUNT, leadsRetentionSeconds: 4 * 86400, backoffSeconds: () => 10 };
    const kindOf = (endpoints: EndpointResult[], receiveCount: number): string =>
      dispositionOf({ endpoints, receiveCount, sentTimestamp: undefined, nowMs: Date.now() }, rules).kind;
    expect(kindOf([gone], 1)).toBe('parked');
    expect(kindOf([gone, delivered], 1)).toBe('parked');
    expect(kindOf([gone, retrying], 1)).toBe('retry');
    expect(kindOf([gone, retrying], MAX_RECEIVE_COUNT)).toBe('parked');
    const description = JSON.stringify(theNeedsOperatorAlarm().AlarmDescription);
    expect(description).toMatch(/410/);
    expect(description).toMatch(/Webhooks parameter/);
    expect(alarmsOn(FORWARDER_METRICS.endpointGone, 'LeadForwarder')).toEqual([]);
    expect(alarmsOn(FORWARDER_METRICS.deliveryDeadLettered, 'LeadForwarder')).toEqual([]);
  });

  it('fire when deliveries keep being retried (an endpoint failing for a while)', () => {
    expect(theAlarm(FORWARDER_METRICS.deliveriesRetrying, 'LeadForwarder', ofStack)).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: RETRY_PERIODS,
      Period: RETRY_PERIOD.toSeconds(),
    });
  });

  it('fire on forwarder function errors (the way a lead reaches the DLQ without being counted as parked)', () => {
    const alarm = theAlarm('Errors', 'AWS/Lambda', ofResource(forwarder[0]));
    expect(alarm.Threshold).toBe(1);
    expect(JSON.stringify(alarm.AlarmDescription)).toMatch(/dead-letter queue/);
  });

  it('go to a TLS-only topic without a key of its own ($1 a month; CloudWatch cannot use the free one), and to an email address only when one is given', () => {
    expect(props(topic).KmsMasterKeyId).toBeUndefined();
    expect(resourcesOfType(json, 'AWS::KMS::Key')).toEqual([]);
    const policy = only(resourcesOfType(json, 'AWS::SNS::TopicPolicy'), 'topic policy')[1];
    const statements = (
      props(policy).PolicyDocument as { Statement: { Effect: string; Principal?: unknown; Condition?: unknown }[] }
    ).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
    const [, subscription] = only(resourcesOfType(json, 'AWS::SNS::Subscription'), 'email subscription');
    expect(props(subscription)).toMatchObject({ Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' }, TopicArn: { Ref: topicId } });
    expect(new Intrinsics(json, { AlarmEmail: '' }).condition(subscription.Condition!)).toBe(false);
    expect(new Intrinsics(json, { AlarmEmail: 'ops@example.com' }).condition(subscription.Condition!)).toBe(true);
  });
});

describe('dashboard', () => {
  const [, dashboard] = only(resourcesOfType(json, 'AWS::CloudWatch::Dashboard'), 'dashboard');
  const stand = Object.fromEntries(
    Object.keys(json.Resources).flatMap((id) => [
      [id, id],
      [`${id}.QueueName`, `queue-${id}`],
      [`${id}.Arn`, `arn-${id}`],
    ]),
  );
  const body = JSON.parse(
    String(
      new Intrinsics(json, {}, { ...stand, 'AWS::StackName': 'shop-a', 'AWS::Region': 'cn-north-1' }).evaluate(
        props(dashboard).DashboardBody,
      ),
    ),
  ) as { widgets: { properties: { metrics?: unknown[] } }[] };
  const metrics = JSON.stringify(body.widgets.map((w) => w.properties.metrics ?? []));

  it('shows per-endpoint deliveries, failures and latency of this stack only', () => {
    for (const name of [
      ENDPOINT_METRICS.delivered,
      ENDPOINT_METRICS.deliveryRetried,
      ENDPOINT_METRICS.deliveryRejected,
      ENDPOINT_METRICS.deliveryLatencyMs,
    ]) {
      expect(metrics).toContain(`SEARCH('{LeadForwarder,endpoint,service} MetricName=\\"${name}\\" service=\\"shop-a\\"'`);
    }
  });

  it("shows leads fetched and enqueued, the cursor lag, NeedsOperator, and the poller's polls and their duration (Lambda's own)", () => {
    for (const name of [
      POLLER_METRICS.leadsFetched,
      POLLER_METRICS.leadsEnqueued,
      POLLER_METRICS.cursorLagSeconds,
      OPERATOR_METRICS.needsOperator,
    ]) {
      expect(metrics).toMatch(new RegExp(`"LeadForwarder","${name}","service","shop-a"`));
    }
    for (const name of ['Invocations', 'Duration'])
      expect(metrics).toContain(`"AWS/Lambda","${name}","FunctionName","${poller[0]}"`);
  });

  it('shows the p50 and p95 lead age at delivery per endpoint of this stack', () => {
    for (const stat of ['p50', 'p95'])
      expect(metrics).toContain(
        `SEARCH('{LeadForwarder,endpoint,service} MetricName=\\"${ENDPOINT_METRICS.leadAgeSeconds}\\" service=\\"shop-a\\"', '${stat}', 300)`,
      );
  });

  it('shows the depth of the leads queue and the DLQ', () => {
    expect(metrics).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","queue-${leadsId}"`);
    expect(metrics).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","queue-${dlqId}"`);
  });
});

describe('the Monitoring parameter', () => {
  const [, dashboard] = only(resourcesOfType(json, 'AWS::CloudWatch::Dashboard'), 'dashboard');
  const published = (parameters: Record<string, string>, fn: CfnResource): ReadonlySet<string> | undefined =>
    publishedMetricNames(
      String(new Intrinsics(json, parameters).evaluate(environmentOf(fn)[OBSERVABILITY_ENV.publishedMetrics])),
    );

  it('full (the default): the dashboard, and the functions publish every metric', () => {
    expect(new Intrinsics(json, {}).condition(dashboard.Condition!)).toBe(true);
    for (const [, fn] of [poller, forwarder]) expect(published({}, fn)).toBeUndefined();
  });

  it('lean: no dashboard, every alarm, and the functions publish exactly the metrics of their own that the alarms read', () => {
    const lean = { Monitoring: 'lean' };
    expect(new Intrinsics(json, lean).condition(dashboard.Condition!)).toBe(false);
    expect(alarms.every((alarm) => alarm.Condition === undefined)).toBe(true);
    const alarmed = new Set(alarms.filter((a) => props(a).Namespace === 'LeadForwarder').map((a) => String(props(a).MetricName)));
    expect(alarmed.size).toBeGreaterThan(0);
    for (const [, fn] of [poller, forwarder]) expect(published(lean, fn)).toEqual(alarmed);
  });
});
