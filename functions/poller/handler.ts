import type { Context, SQSEvent } from 'aws-lambda';
import { createClients } from '../shared/aws/clients';
import { readPollerEnvironment } from '../shared/config/lambda-env';
import { SqsLeadQueue } from '../shared/aws/lead-queue';
import { DynamoStateStore, sourceKey } from '../shared/aws/scan-state';
import { cachedFor, POLLER_SECRET_CACHE_MS, readSecret, SECRET_STALE_MS } from '../shared/aws/secrets';
import { SqsTickQueue } from '../shared/aws/tick-queue';
import { parsePollerSettings } from '../shared/config/parse-settings';
import { DEFAULT_POLL_INTERVAL_SECONDS } from '../shared/config/stack-contract';
import { messageOf } from '../shared/domain/errors';
import { isRecord } from '../shared/domain/is-record';
import { NEEDS_OPERATOR, needsOperator } from '../shared/observability/needs-operator';
import { createLogger, createMetrics, METRIC, MetricUnit } from '../shared/observability/observability';
import { TopClient } from '../shared/taobao/client';
import { isAuthorizationFailure, refusesSecrets } from '../shared/taobao/errors';
import { TopLeadSource } from '../shared/taobao/lead-source';
import { isSuccessfulPoll, poll, type PollResult } from './poll';
import { StallWatch, stallAfterMs } from './stall-watch';
import { TickGate } from './ticks';
import { scheduledPoll, tickPolls, type TickDeps, type TickOutcome } from './tick-runner';

/** Time kept back from the invocation's budget to write state and flush metrics. */
const SAFETY_MARGIN_MS = 5_000;

// Wiring only, built once per container.
const env = readPollerEnvironment(process.env);
const { ddb, sqs, secrets } = createClients();
const logger = createLogger();
const metrics = createMetrics();
/** The interval the fan-out plans for; the settings parser validates the same value with the secrets. */
const intervalSeconds = Number(env.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS);
// Sub-minute polling (ticks.ts): the tick queue is there on the stack, not in the local runner.
const tickQueue = env.tickQueueUrl === undefined ? undefined : new SqsTickQueue(sqs, env.tickQueueUrl);
const tickDeps: TickDeps = {
  gate: new TickGate(),
  intervalSeconds,
  log: logger,
  ...(tickQueue === undefined ? {} : { tickQueue }),
};

/** Polls that keep failing or are kept from reading by bans (stall-watch.ts). */
const stalls = new StallWatch(stallAfterMs(intervalSeconds), Date.now());
/**
 * An authorization failure fails every poll until someone acts: it counts as NeedsOperator once
 * per run of them, so that the alarm returns to OK and still notifies of other causes meanwhile
 * (PollerErrors stays in ALARM while the polls fail).
 */
let authorizationReported = false;

const wiring = cachedFor(
  POLLER_SECRET_CACHE_MS,
  async () => {
    const [appSecret, sessionKey] = await Promise.all([
      readSecret(secrets, env.appSecretArn),
      readSecret(secrets, env.sessionKeyArn),
    ]);
    const settings = parsePollerSettings({
      top: { ...env.top, appSecret, sessionKey },
      startFrom: env.startFrom,
      pollIntervalSeconds: env.pollIntervalSeconds,
    });
    const client = TopClient.fromSettings(settings.top, {
      onRetry: (event) =>
        logger.warn('TOP call retried', {
          method: event.method,
          attempt: event.attempt,
          delayMs: event.delayMs,
          error: event.error.message,
        }),
    });
    const deps = {
      source: new TopLeadSource(client),
      state: new DynamoStateStore(ddb, env.table, sourceKey(settings.top.appKey)),
      queue: new SqsLeadQueue(sqs, env.queueUrl),
    };
    return { settings, deps };
  },
  {
    staleForMs: SECRET_STALE_MS,
    onStale: (error) => logger.warn('could not refresh the secrets; using the values read before', { error: messageOf(error) }),
  },
);

export type PollSummary = Omit<PollResult, 'enqueuedIds'>;

/** What an invocation by the tick queue did with each tick: polled, or dropped and why. */
export interface TickReport {
  ticks: TickOutcome<PollSummary>[];
}

/**
 * A scheduled invocation (EventBridge Scheduler, or the local runner): one poll cycle, then, on a
 * sub-minute schedule, the rest of the minute's polls sent to the tick queue (ticks.ts). An SQS
 * event from the tick queue: a poll for each tick the gate admits.
 */
export async function handler(event: SQSEvent, context: Context): Promise<TickReport>;
export async function handler(event: unknown, context: Context): Promise<PollSummary>;
export async function handler(event: unknown, context: Context): Promise<PollSummary | TickReport> {
  // Request id, function name and cold start on every line of this invocation. (No ColdStart
  // metric: it would be billed for every hour a container starts in, and tells nothing the
  // `cold_start` field of the log lines does not.)
  logger.addContext(context);
  if (isSqsEvent(event)) return { ticks: await tickPolls(tickDeps, event.Records, (started) => pollOnce(context, started)) };
  return scheduledPoll(tickDeps, (started) => pollOnce(context, started));
}

/** One poll cycle: enqueue every new lead within this invocation's time budget. */
async function pollOnce(context: Context, started: number): Promise<PollSummary> {
  try {
    const { settings, deps } = await wiring();
    const result = await poll(deps, {
      pageSize: settings.top.pageSize,
      startFrom: settings.startFrom,
      deadline: started + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
    });
    record(result, started);
    const { enqueuedIds, ...summary } = result;
    logger.info('poll finished', { ...summary, rejected: result.rejected.length, enqueuedIds });
    for (const problem of result.rejected)
      logger.warn('lead record rejected', { problem, ...needsOperator(metrics, NEEDS_OPERATOR.leadRecordRejected) });
    if (isSuccessfulPoll(result)) {
      stalls.succeeded(Date.now());
      authorizationReported = false;
    } else if (stalls.failed(Date.now()))
      reportStall('the last poll was stopped by a TOP rate limit (code 7) before reading a page');
    return summary;
  } catch (error) {
    metrics.addMetric(METRIC.pollFailed, MetricUnit.Count, 1);
    const authorization = isAuthorizationFailure(error);
    if (authorization) metrics.addMetric(METRIC.topAuthFailure, MetricUnit.Count, 1);
    const firstAuthorization = authorization && !authorizationReported;
    if (authorization) authorizationReported = true;
    // The gateway refused what the secrets hold (session, signature): the operator may have just
    // updated them, so the next poll reads them afresh instead of waiting out the cache.
    if (refusesSecrets(error)) wiring.forget();
    logger.error('poll failed; the cursor and scan state are unchanged since the last saved page', {
      error: messageOf(error),
      errorName: error instanceof Error ? error.name : typeof error,
      ...(firstAuthorization ? needsOperator(metrics, NEEDS_OPERATOR.topAuthorization) : {}),
    });
    if (stalls.failed(Date.now())) reportStall(`the last poll failed: ${messageOf(error)}`);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}

/** Polls have not succeeded for NO_POLL_INTERVALS intervals (stall-watch.ts): said once per stall. */
function reportStall(why: string): void {
  logger.error(`no successful poll in ${stallAfterMs(intervalSeconds) / 60_000} minutes: ${why}`, {
    ...needsOperator(metrics, NEEDS_OPERATOR.noSuccessfulPoll),
  });
}

/** An SQS event (the tick queue), told from a scheduled one by its records' source. */
function isSqsEvent(event: unknown): event is SQSEvent {
  return (
    isRecord(event) &&
    Array.isArray(event.Records) &&
    event.Records.length > 0 &&
    event.Records.every((r: unknown) => isRecord(r) && r.eventSource === 'aws:sqs' && typeof r.body === 'string')
  );
}

/**
 * A poll's metrics: none for an idle one (infra/cost: each metric is billed for every hour it is
 * published). LeadsFetched only with something new (the newest page an idle poll re-reads is no
 * news); the cursor lag only when the poll ended behind the cursor (a completed scan is at 0).
 */
function record(result: PollResult, started: number): void {
  const news = result.enqueued > 0 || result.rejected.length > 0;
  if (news) metrics.addMetric(METRIC.leadsFetched, MetricUnit.Count, result.fetched);
  metrics.addMetric(METRIC.leadsEnqueued, MetricUnit.Count, result.enqueued);
  metrics.addMetric(METRIC.leadsRejected, MetricUnit.Count, result.rejected.length);
  if (result.stoppedEarly === 'rate-limited') metrics.addMetric(METRIC.topRateLimited, MetricUnit.Count, 1);
  if (result.stoppedEarly !== undefined && result.cursorAt !== undefined) {
    metrics.addMetric(METRIC.cursorLagSeconds, MetricUnit.Seconds, Math.max(0, (started - Date.parse(result.cursorAt)) / 1000));
  }
}
