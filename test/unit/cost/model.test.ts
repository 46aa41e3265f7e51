import { CostModelError, idleCost, rateSeconds, type CostKey, type Estimate } from '../../../infra/cost/model';
import type { Prices } from '../../../infra/cost/prices';
import { COST_BEGIN, COST_END, costReport, costSection, scenarios, withCostSection } from '../../../infra/cost/report';
import { DeployedTemplate, TemplateUnreadableError, type CfnTemplate } from '../../../infra/cost/template';
import type { Usage } from '../../../infra/cost/usage';

/**
 * The cost model against a small template whose every amount is worked out by hand below, with
 * round made-up prices and usage so that each figure can be checked on paper.
 */

const PRICES = {
  asOf: '2000-01-01',
  region: 'test-region-1',
  lambda: { source: '', requestsPerMillion: 1, gbSecond: { arm64: 0.001, x86_64: 0.002 } },
  scheduler: { source: '', invocationsPerMillion: 2 },
  sqs: { source: '', standardRequestsPerMillion: 1 },
  dynamodb: { source: '', writeRequestUnitsPerMillion: 10, readRequestUnitsPerMillion: 5, storageGbMonth: 0, pitrGbMonth: 0 },
  cloudwatch: {
    source: '',
    customMetricMonth: 1,
    standardAlarmMetricMonth: 0.5,
    highResolutionAlarmMetricMonth: 2,
    dashboardMonth: 7,
    logsIngestionGb: 100,
    logsStorageGbMonth: 10,
  },
  secretsManager: { source: '', secretMonth: 3, apiCallsPer10k: 0.1 },
  kms: { source: '', customerManagedKeyMonth: 4, requestsPer10k: 0.2 },
  sns: { source: '', publishesPerMillion: 1, emailNotificationsPer100k: 1 },
} as unknown as Prices;

const USAGE = {
  hoursPerMonth: 100, // 360,000 s
  idlePollSeconds: 2,
  tickFunctionSeconds: 1,
  idlePollStateReads: 1,
  idlePollStateWrites: 2,
  idlePollLogBytes: 1000,
  sqsTriggerPollers: { withMaximumConcurrency: 2, lowTraffic: 1 },
  sqsLongPollSeconds: 20,
  secretCacheSeconds: 600,
  idlePollMetrics: ['PollSucceeded', 'PollDurationMs', 'CursorLagSeconds'],
} as unknown as Usage;

const OPTIONS = { prices: PRICES, usage: USAGE };

function fixture(extra: CfnTemplate['Resources'] = {}): CfnTemplate {
  return {
    Parameters: {
      PollSchedule: { Type: 'String', Default: 'rate(5 minutes)', AllowedValues: ['rate(5 minutes)', 'rate(1 minute)'] },
      Monitoring: { Type: 'String', Default: 'full', AllowedValues: ['full', 'lean'] },
    },
    Conditions: { Full: { 'Fn::Equals': [{ Ref: 'Monitoring' }, 'full'] } },
    Resources: {
      Poller: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          MemorySize: 512,
          Architectures: ['arm64'],
          Environment: {
            Variables: {
              TOP_APP_SECRET_ARN: { Ref: 'SecretA' },
              TOP_SESSION_KEY_ARN: { Ref: 'SecretB' },
              POWERTOOLS_METRICS_NAMESPACE: 'NS',
              LEAD_FORWARDER_METRICS: { 'Fn::If': ['Full', '*', 'PollSucceeded'] },
            },
          },
        },
      },
      Forwarder: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, Environment: { Variables: {} } } },
      Schedule: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: { ScheduleExpression: { Ref: 'PollSchedule' }, Target: { Arn: { 'Fn::GetAtt': ['Poller', 'Arn'] } } },
      },
      Leads: { Type: 'AWS::SQS::Queue' },
      LeadsTrigger: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Leads', 'Arn'] },
          FunctionName: { Ref: 'Forwarder' },
          ScalingConfig: { MaximumConcurrency: 5 },
        },
      },
      SecretA: { Type: 'AWS::SecretsManager::Secret' },
      SecretB: { Type: 'AWS::SecretsManager::Secret' },
      SecretC: { Type: 'AWS::SecretsManager::Secret', Condition: 'Full' },
      Key: { Type: 'AWS::KMS::Key' },
      Standard: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'NS', MetricName: 'PollSucceeded', Period: 60 } },
      HighResolution: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Period: 10 },
      },
      MetricMath: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Metrics: [
            { Id: 'a', MetricStat: { Metric: { Namespace: 'AWS/SQS', MetricName: 'X' }, Period: 300 } },
            { Id: 'b', MetricStat: { Metric: { Namespace: 'AWS/SQS', MetricName: 'Y' }, Period: 300 } },
            { Id: 'e', Expression: 'a+b' },
          ],
        },
      },
      Dashboard: {
        Type: 'AWS::CloudWatch::Dashboard',
        Condition: 'Full',
        Properties: {
          DashboardBody: {
            'Fn::Join': ['', ['{"metrics":[["NS","PollDurationMs","service","', { Ref: 'AWS::StackName' }, '"]]}']],
          },
        },
      },
      Table: { Type: 'AWS::DynamoDB::Table' },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
      Topic: { Type: 'AWS::SNS::Topic' },
      ...extra,
    },
  };
}

function amounts(estimate: Estimate): Record<CostKey, number> {
  return Object.fromEntries(estimate.items.map((item) => [item.key, Number(item.usd.toFixed(6))])) as Record<CostKey, number>;
}

// By hand, at rate(5 minutes): 360,000 s / 300 s = 1,200 polls.
const FULL: Record<CostKey, number> = {
  dashboards: 7,
  // PollSucceeded, PollDurationMs, CursorLagSeconds: 3 metrics × $1.
  customMetrics: 3,
  // 0.5 (standard) + 2 (period 10 s: high resolution) + 2 metrics × 0.5 (metric math).
  alarms: 3.5,
  secrets: 9,
  kmsKeys: 4,
  // 1,200 × ($1/1e6 + 2 s × 0.5 GB × $0.001); the forwarder never runs.
  lambda: 1.2012,
  // 1,200 × $2/1e6
  scheduler: 0.0024,
  // 1 trigger with a maximum concurrency: 2 pollers × 360,000 s / 20 s = 36,000 empty receives × $1/1e6
  sqs: 0.036,
  // 1,200 reads × $5/1e6 + 2,400 writes × $10/1e6
  dynamodb: 0.03,
  // 1,200 × 1,000 B = 0.0012 GB: × $100 ingested + × $10 stored (30 days: the month's worth)
  logs: 0.132,
  // 2 secrets read every max(300, 600) s = 1,200 reads × ($0.1 + $0.2) / 1e4
  secretReads: 0.036,
  sns: 0,
};

describe('the idle cost model', () => {
  it('prices each item of a hand-checked template at its default parameters', () => {
    const estimate = idleCost(new DeployedTemplate(fixture(), {}), OPTIONS);
    expect(amounts(estimate)).toEqual(FULL);
    expect(estimate.usd).toBeCloseTo(27.9376, 6);
    expect(estimate.pollIntervalSeconds).toBe(300);
    expect(estimate.modelled).toBeUndefined();
    const metrics = estimate.items.find((item) => item.key === 'customMetrics')!.detail;
    // Read by the template: PollSucceeded (alarm) and PollDurationMs (dashboard); CursorLagSeconds is not.
    expect(metrics).toContain('of 2 the template reads');
    expect(metrics).toContain('not read by the template: CursorLagSeconds');
  });

  it('follows the conditions and the metric restriction of a lean setting', () => {
    const estimate = idleCost(new DeployedTemplate(fixture(), { Monitoring: 'lean' }), OPTIONS);
    // No dashboard, no SecretC; only PollSucceeded is published.
    expect(amounts(estimate)).toEqual({ ...FULL, dashboards: 0, secrets: 6, customMetrics: 1 });
    expect(estimate.usd).toBeCloseTo(15.9376, 6);
  });

  it('reads the schedule from PollSchedule', () => {
    const estimate = idleCost(new DeployedTemplate(fixture(), { PollSchedule: 'rate(1 minute)' }), OPTIONS);
    // 6,000 polls: five times the lambda, scheduler, DynamoDB and log amounts; secrets still read every 600 s.
    expect(amounts(estimate)).toMatchObject({ lambda: 6.006, scheduler: 0.012, dynamodb: 0.15, logs: 0.66, secretReads: 0.036 });
  });

  it('models a poll interval the template does not offer, and says so', () => {
    const estimate = idleCost(new DeployedTemplate(fixture(), {}), { ...OPTIONS, modelPollIntervalSeconds: 10 });
    // 36,000 polls; the schedule itself still ticks every 5 minutes.
    expect(amounts(estimate)).toMatchObject({ lambda: 36.036, scheduler: 0.0024, sqs: 0.036, dynamodb: 0.9, logs: 3.96 });
    expect(estimate.modelled).toMatch(/does not offer a 10-s rate.*36,000 poller runs.*no tick queue/);
  });

  it('counts a tick queue that triggers the poller: its long polling (fewer pollers without a maximum concurrency), and a send and a delete per poll', () => {
    const tick = {
      Ticks: { Type: 'AWS::SQS::Queue' },
      TickTrigger: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { EventSourceArn: { 'Fn::GetAtt': ['Ticks', 'Arn'] }, FunctionName: { Ref: 'Poller' } },
      },
    };
    const estimate = idleCost(new DeployedTemplate(fixture(tick), {}), OPTIONS);
    // 36,000 empty receives (leads) + 18,000 (ticks: no maximum concurrency, 1 poller) + 2 × 1,200 = 56,400 × $1/1e6
    expect(amounts(estimate).sqs).toBe(0.0564);
  });

  it('refuses what it cannot read instead of guessing', () => {
    expect(rateSeconds('rate(10 seconds)')).toBe(10);
    expect(rateSeconds('rate(1 hour)')).toBe(3600);
    expect(() => rateSeconds('cron(0 * * * ? *)')).toThrow(CostModelError);
    const noPoller = fixture();
    delete noPoller.Resources.Poller;
    expect(() => idleCost(new DeployedTemplate(noPoller, {}), OPTIONS)).toThrow(/no poller function/);
    const oddCondition = fixture();
    oddCondition.Conditions = { Full: { 'Fn::Contains': [['full'], { Ref: 'Monitoring' }] } };
    expect(() => idleCost(new DeployedTemplate(oddCondition, {}), OPTIONS)).toThrow(TemplateUnreadableError);
  });
});

describe('the cost report', () => {
  it('prints a row per item for the default, lean and 10-s settings, and ends with the totals line', () => {
    const report = costReport(fixture(), OPTIONS);
    expect(report).toContain('| CloudWatch dashboards | $7.00 | $0.00 | $7.00 |');
    expect(report).toContain('| **total** | **$27.94** | **$15.94** | **$67.47** |');
    expect(report).toContain('rate(10 seconds): PollSchedule does not offer a 10-s rate');
    expect(report.trimEnd().split('\n').at(-1)).toBe('idle_usd_month=27.94 idle_usd_month_10s=67.47');
  });

  it('evaluates the template at rate(10 seconds) once PollSchedule offers it, instead of modelling it', () => {
    const offering = fixture();
    offering.Parameters!.PollSchedule!.AllowedValues = ['rate(5 minutes)', 'rate(10 seconds)'];
    const { subMinute } = scenarios(offering, OPTIONS);
    expect(subMinute.modelled).toBeUndefined();
    expect(subMinute.pollIntervalSeconds).toBe(10);
    // The schedule (Ref PollSchedule) now runs 36,000 times too: $2/1e6 each.
    expect(amounts(subMinute)).toMatchObject({ lambda: 36.036, scheduler: 0.072 });
    expect(costReport(offering, OPTIONS)).not.toContain('does not offer');
  });

  it('replaces exactly the README section between its markers', () => {
    const readme = `# title\n\n${COST_BEGIN}\nold table\n${COST_END}\n\nafter\n`;
    const updated = withCostSection(readme, 'new table\n');
    expect(updated).toBe(`# title\n\n${COST_BEGIN}\nnew table\n${COST_END}\n\nafter\n`);
    expect(costSection(updated)).toBe('new table\n');
    expect(() => withCostSection('# no markers\n', 'x')).toThrow(CostModelError);
    expect(costSection('# no markers\n')).toBeUndefined();
  });
});
