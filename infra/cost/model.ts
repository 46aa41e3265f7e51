import { ENV } from '../../functions/shared/config/stack-contract';
import { OBSERVABILITY_ENV, publishedMetricNames } from '../../functions/shared/observability/observability';
import { LeadForwarderError } from '../../functions/shared/domain/errors';
import type { Prices } from './prices';
import { refersTo, type CfnResource, type DeployedTemplate } from './template';
import type { Usage } from './usage';

/**
 * The monthly cost of a stack that receives no lead, item by item, from its template as it
 * deploys for given parameter values (DeployedTemplate), list prices (prices.ts) and what an
 * idle stack does (usage.ts). Every count (functions, schedules, queue triggers, alarms and
 * their periods, custom metrics, secrets, keys, dashboards) is read from the template.
 */

export class CostModelError extends LeadForwarderError {
  override readonly name: string = 'CostModelError';
}

export type CostKey =
  | 'dashboards'
  | 'customMetrics'
  | 'alarms'
  | 'secrets'
  | 'kmsKeys'
  | 'lambda'
  | 'scheduler'
  | 'sqs'
  | 'dynamodb'
  | 'logs'
  | 'secretReads'
  | 'sns';

export interface CostItem {
  key: CostKey;
  item: string;
  /** How the amount was found: the counts read from the template and the unit prices. */
  detail: string;
  usd: number;
}

export interface Estimate {
  items: CostItem[];
  usd: number;
  pollIntervalSeconds: number;
  /** Set when the template does not offer the schedule: what was modelled instead. */
  modelled?: string;
}

export interface EstimateOptions {
  prices: Prices;
  usage: Usage;
  /**
   * Poll this often although the template's PollSchedule does not offer it: the poller's
   * invocations (and a tick queue's messages, if the template has one) follow this interval;
   * everything else is read from the template at its PollSchedule.
   */
  modelPollIntervalSeconds?: number;
}

const RATE = /^rate\((\d+) (second|minute|hour|day)s?\)$/;
const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/** Seconds between runs of an EventBridge rate expression. */
export function rateSeconds(expression: string): number {
  const match = RATE.exec(expression);
  if (match === null) throw new CostModelError(`not a rate expression this model reads: ${expression}`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

export function idleCost(template: DeployedTemplate, options: EstimateOptions): Estimate {
  const { prices, usage } = options;
  const monthSeconds = usage.hoursPerMonth * 3600;
  const schedule = template.parameter('PollSchedule');
  if (schedule === undefined) throw new CostModelError('the template has no PollSchedule parameter');
  const pollIntervalSeconds = options.modelPollIntervalSeconds ?? rateSeconds(schedule);
  const polls = monthSeconds / pollIntervalSeconds;

  const functions = template.resources('AWS::Lambda::Function');
  const pollerEntry = functions.find(([, fn]) => ENV.topAppSecretArn in environment(fn));
  if (pollerEntry === undefined) throw new CostModelError('no poller function (one with TOP_APP_SECRET_ARN) in the template');
  const [pollerId, poller] = pollerEntry;

  const schedules = template.resources('AWS::Scheduler::Schedule').map(([id, s]) => {
    const expression = String(template.property(s, 'ScheduleExpression'));
    const target = template.property(s, 'Target');
    return { id, runs: monthSeconds / rateSeconds(expression), expression, target };
  });
  const triggers = template.resources('AWS::Lambda::EventSourceMapping').filter(([, m]) => {
    // A disabled trigger (the tick queue's at minute rates and slower) makes no receive calls.
    if (template.property(m, 'Enabled') === false) return false;
    const source = template.property(m, 'EventSourceArn');
    return template.resources('AWS::SQS::Queue').some(([queueId]) => refersTo(source, queueId));
  });
  // A queue that triggers the poller carries its ticks (one message per poll); the leads queue carries nothing when idle.
  const tickTriggers = triggers.filter(([, m]) => refersTo(template.property(m, 'FunctionName'), pollerId));

  // Lambda: the poller runs once per poll; other functions as often as a schedule invokes them.
  let lambdaUsd = 0;
  const runs: { id: string; invocations: number }[] = [];
  const lambdaParts: string[] = [];
  for (const [id, fn] of functions) {
    const invocations =
      id === pollerId ? polls : schedules.filter((s) => refersTo(s.target, id)).reduce((sum, s) => sum + s.runs, 0);
    if (invocations === 0) continue;
    const seconds = id === pollerId ? usage.idlePollSeconds : usage.tickFunctionSeconds;
    const memoryGb = Number(template.property(fn, 'MemorySize') ?? 128) / 1024;
    const architecture = (template.property(fn, 'Architectures') as string[] | undefined)?.[0] ?? 'x86_64';
    const gbSecond = architecture === 'arm64' ? prices.lambda.gbSecond.arm64 : prices.lambda.gbSecond.x86_64;
    lambdaUsd += invocations * (prices.lambda.requestsPerMillion / 1e6 + seconds * memoryGb * gbSecond);
    runs.push({ id, invocations });
    lambdaParts.push(
      `${id === pollerId ? 'poller' : id}: ${count(invocations)} runs × ${seconds} s × ${memoryGb * 1024} MB ${architecture}`,
    );
  }

  const schedulerRuns = schedules.reduce((sum, s) => sum + s.runs, 0);
  const queueIds = template.resources('AWS::SQS::Queue').map(([id]) => id);
  const scheduledSends = schedules.filter((s) => queueIds.some((q) => refersTo(s.target, q))).reduce((sum, s) => sum + s.runs, 0);

  const pollersOf = (mapping: CfnResource): number =>
    (template.property(mapping, 'ScalingConfig') as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency ===
    undefined
      ? usage.sqsTriggerPollers.lowTraffic
      : usage.sqsTriggerPollers.withMaximumConcurrency;
  const pollers = triggers.map(([, mapping]) => pollersOf(mapping));
  const emptyReceives = pollers.reduce((sum, n) => sum + n, 0) * (monthSeconds / usage.sqsLongPollSeconds);
  // Each tick message is sent once and deleted once; its receive takes the place of an empty one.
  const tickRequests = tickTriggers.length > 0 ? 2 * polls : 0;
  const sqsRequests = emptyReceives + tickRequests + scheduledSends;

  const tables = template.resources('AWS::DynamoDB::Table');
  const reads = polls * usage.idlePollStateReads;
  const writes = polls * usage.idlePollStateWrites;

  const invocations = runs.reduce((sum, r) => sum + r.invocations, 0);
  const logGb = (invocations * usage.idlePollLogBytes) / 1e9;
  const retentionDays = Math.max(
    0,
    ...template.resources('AWS::Logs::LogGroup').map(([, g]) => Number(template.property(g, 'RetentionInDays') ?? 0)),
  );
  // Stored on average: what `retention` days of ingestion hold (a month of it at most, the whole month's worth).
  const storedGb = logGb * Math.min(1, retentionDays / 30);

  // The poller re-reads each secret it names once per cache period (or per poll, when polls are rarer).
  const pollerSecrets = template
    .resources('AWS::SecretsManager::Secret')
    .filter(([id]) => refersTo(environment(poller), id)).length;
  const secretReads = pollerSecrets * (monthSeconds / Math.max(pollIntervalSeconds, usage.secretCacheSeconds));

  const alarms = template.resources('AWS::CloudWatch::Alarm').map(([, alarm]) => alarmMetrics(template, alarm));
  const highResolution = alarms.filter((a) => a.highResolution);
  const alarmUsd = alarms.reduce(
    (sum, a) =>
      sum +
      a.metrics *
        (a.highResolution ? prices.cloudwatch.highResolutionAlarmMetricMonth : prices.cloudwatch.standardAlarmMetricMonth),
    0,
  );

  const pollerEnv = template.resolve(environment(poller)) as Record<string, unknown>;
  const namespace = pollerEnv[OBSERVABILITY_ENV.namespace];
  if (typeof namespace !== 'string') throw new CostModelError('the poller names no metrics namespace');
  const referenced = referencedCustomMetrics(template, namespace);
  const restriction = pollerEnv[OBSERVABILITY_ENV.publishedMetrics];
  const allowed = publishedMetricNames(typeof restriction === 'string' ? restriction : undefined);
  const published = usage.idlePollMetrics.filter((name) => allowed === undefined || allowed.has(name));
  const unwatched = published.filter((name) => !referenced.has(name));
  const metricUsd = published.length * prices.cloudwatch.customMetricMonth;

  const dashboards = template.resources('AWS::CloudWatch::Dashboard').length;
  const secrets = template.resources('AWS::SecretsManager::Secret').length;
  const keys = template.resources('AWS::KMS::Key').length;
  const topics = template.resources('AWS::SNS::Topic').length;

  const items: CostItem[] = [
    {
      key: 'dashboards',
      item: 'CloudWatch dashboards',
      detail: `${dashboards} × $${prices.cloudwatch.dashboardMonth.toFixed(2)}`,
      usd: dashboards * prices.cloudwatch.dashboardMonth,
    },
    {
      key: 'customMetrics',
      item: 'Custom metrics an idle poll publishes',
      detail:
        `${published.length ? published.join(', ') : 'none'}` +
        ` (of ${referenced.size} the template reads) × $${prices.cloudwatch.customMetricMonth.toFixed(2)}` +
        (unwatched.length > 0 ? `; not read by the template: ${unwatched.join(', ')}` : ''),
      usd: metricUsd,
    },
    {
      key: 'alarms',
      item: 'CloudWatch alarms',
      detail:
        `${alarms.length} alarms, ${alarms.reduce((sum, a) => sum + a.metrics, 0)} alarm metrics` +
        (highResolution.length > 0
          ? ` (${highResolution.length} high-resolution at $${prices.cloudwatch.highResolutionAlarmMetricMonth.toFixed(2)})`
          : '') +
        ` × $${prices.cloudwatch.standardAlarmMetricMonth.toFixed(2)}`,
      usd: alarmUsd,
    },
    {
      key: 'secrets',
      item: 'Secrets Manager secrets',
      detail: `${secrets} × $${prices.secretsManager.secretMonth.toFixed(2)}`,
      usd: secrets * prices.secretsManager.secretMonth,
    },
    {
      key: 'kmsKeys',
      item: 'KMS customer-managed keys',
      detail: `${keys} × $${prices.kms.customerManagedKeyMonth.toFixed(2)}`,
      usd: keys * prices.kms.customerManagedKeyMonth,
    },
    {
      key: 'lambda',
      item: 'Lambda requests and GB-s',
      detail: lambdaParts.length ? lambdaParts.join('; ') : 'no function runs',
      usd: lambdaUsd,
    },
    {
      key: 'scheduler',
      item: 'EventBridge Scheduler invocations',
      detail: `${schedules.map((s) => s.expression).join(', ') || 'none'}: ${count(schedulerRuns)} a month`,
      usd: (schedulerRuns / 1e6) * prices.scheduler.invocationsPerMillion,
    },
    {
      key: 'sqs',
      item: 'SQS requests',
      detail:
        `${triggers.length} queue trigger(s), ${pollers.join(' + ')} pollers long-polling: ${count(emptyReceives)} empty receives` +
        (tickRequests > 0 ? `; tick fan-out ${count(tickRequests)} sends and deletes` : '') +
        (scheduledSends > 0 ? `; ${count(scheduledSends)} scheduled sends` : ''),
      usd: (sqsRequests / 1e6) * prices.sqs.standardRequestsPerMillion,
    },
    {
      key: 'dynamodb',
      item: 'DynamoDB on-demand',
      detail: `${tables.length} table(s): ${count(reads)} reads + ${count(writes)} writes (storage and PITR of a few KB: < $0.01)`,
      usd:
        (reads / 1e6) * prices.dynamodb.readRequestUnitsPerMillion + (writes / 1e6) * prices.dynamodb.writeRequestUnitsPerMillion,
    },
    {
      key: 'logs',
      item: 'CloudWatch Logs',
      detail: `${count(invocations)} invocations × ~${usage.idlePollLogBytes} B = ${logGb.toFixed(3)} GB ingested, ${retentionDays}-day retention`,
      usd: logGb * prices.cloudwatch.logsIngestionGb + storedGb * prices.cloudwatch.logsStorageGbMonth,
    },
    {
      key: 'secretReads',
      item: 'Secret reads (Secrets Manager API + KMS)',
      detail: `poller: ${pollerSecrets} secret(s) every ${Math.max(pollIntervalSeconds, usage.secretCacheSeconds)} s = ${count(secretReads)} GetSecretValue + Decrypt`,
      usd: (secretReads / 1e4) * (prices.secretsManager.apiCallsPer10k + prices.kms.requestsPer10k),
    },
    {
      key: 'sns',
      item: 'SNS alarm topic',
      detail: `${topics} topic(s); no alarm fires on an idle stack, so nothing is published`,
      usd: 0,
    },
  ];
  const usd = items.reduce((sum, item) => sum + item.usd, 0);
  return {
    items,
    usd,
    pollIntervalSeconds,
    ...(options.modelPollIntervalSeconds === undefined
      ? {}
      : {
          modelled: `PollSchedule does not offer a ${pollIntervalSeconds}-s rate in this template: modelled as ${count(polls)} poller runs a month${tickTriggers.length > 0 ? ' through its tick queue' : ' (no tick queue in the template, so no fan-out requests)'}`,
        }),
  };
}

function environment(fn: CfnResource): Record<string, unknown> {
  const env = fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return env?.Variables ?? {};
}

/** How many metrics an alarm is billed for, and whether at the high-resolution price. */
function alarmMetrics(template: DeployedTemplate, alarm: CfnResource): { metrics: number; highResolution: boolean } {
  const queries = template.property(alarm, 'Metrics') as { MetricStat?: { Period?: number } }[] | undefined;
  if (queries !== undefined) {
    const stats = queries.filter((q) => q.MetricStat !== undefined);
    return { metrics: stats.length, highResolution: stats.some((q) => Number(q.MetricStat!.Period) < 60) };
  }
  return { metrics: 1, highResolution: Number(template.property(alarm, 'Period')) < 60 };
}

/** The names of the metrics in `namespace` (the functions' own) that the alarms and dashboards read. */
export function referencedCustomMetrics(template: DeployedTemplate, namespace: string): Set<string> {
  const names = new Set<string>();
  for (const [, alarm] of template.resources('AWS::CloudWatch::Alarm')) {
    if (template.property(alarm, 'Namespace') === namespace) names.add(String(template.property(alarm, 'MetricName')));
    const queries = (template.property(alarm, 'Metrics') ?? []) as {
      MetricStat?: { Metric?: { Namespace?: string; MetricName?: string } };
    }[];
    for (const q of queries) {
      const metric = q.MetricStat?.Metric;
      if (metric?.Namespace === namespace) names.add(String(metric.MetricName));
    }
  }
  // A dashboard body is JSON text joined around Refs: a metric is ["<namespace>","<name>",…], or
  // MetricName="<name>" inside a SEARCH expression.
  for (const [, dashboard] of template.resources('AWS::CloudWatch::Dashboard')) {
    const text = flattenText(template.property(dashboard, 'DashboardBody'));
    for (const m of text.matchAll(/\["([^"]+)","(\w+)"/g)) if (m[1] === namespace) names.add(m[2]!);
    // SEARCH('{<namespace>,<dimensions…>} MetricName="<name>" …')
    for (const m of text.matchAll(/\{([^,}]+)[^}]*\} MetricName=\\"(\w+)\\"/g)) if (m[1] === namespace) names.add(m[2]!);
  }
  return names;
}

function flattenText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flattenText).join('');
  if (value !== null && typeof value === 'object') return Object.values(value).map(flattenText).join('');
  return '';
}

/** 43800 → "43,800". */
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
