import { POLLER_SECRET_CACHE_MS } from '../../functions/shared/aws/secrets';

/** What CloudWatch Logs bills for each event beyond its text. */
export const CLOUDWATCH_EVENT_OVERHEAD_BYTES = 26;
/**
 * Lambda's START, END and REPORT lines of one invocation, each with CloudWatch's 26 bytes of
 * overhead per event: an estimate (their text is Lambda's, ~100, ~80 and ~250 bytes).
 */
export const LAMBDA_PLATFORM_LOG_BYTES = 500;
/**
 * At most what the poller itself logs for a poll that finds no new lead, with the overhead per
 * line: the "poll finished" line. test/infra/bundle.test.ts checks it against the deployable bundle.
 */
export const IDLE_POLL_FUNCTION_LOG_BYTES = 700;

/**
 * What an idle stack does that the template cannot say: how long a poll that finds nothing
 * runs, what it writes, what it logs and publishes. Estimates are marked as such; the rest
 * follows from the code named beside it. Everything countable (schedules, functions, alarms,
 * secrets, keys, dashboards, queues and their triggers) is read from the template instead.
 */
export const USAGE = {
  /** AWS bills a month as 730 hours. */
  hoursPerMonth: 730,
  /**
   * Billed duration of a poll that finds no lead: one TOP page request from the region (the
   * gateway is in mainland China, ~200-300 ms away from us-east-1, more with a new TLS
   * connection) plus one DynamoDB read and one write. An estimate.
   */
  idlePollSeconds: 0.5,
  /** Billed duration of a function a schedule invokes that is not the poller (a tick that fans polls out): an estimate. */
  tickFunctionSeconds: 0.1,
  /** functions/poller/poll.ts: an idle poll loads the scan state once and saves it once (conditional PutItem, items < 1 KB). */
  idlePollStateReads: 1,
  idlePollStateWrites: 1,
  /** What an idle poll writes to CloudWatch Logs (below). */
  idlePollLogBytes: LAMBDA_PLATFORM_LOG_BYTES + IDLE_POLL_FUNCTION_LOG_BYTES,
  /**
   * An SQS trigger (event source mapping) keeps long-polling (20 s) an empty queue. AWS documents
   * that at low traffic Lambda scales back to five concurrent pollers, and can go down to two to
   * save SQS calls, but not when the trigger sets a maximum concurrency:
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html. So 5 (or 2) × 3
   * empty ReceiveMessage requests a minute per trigger; an estimate of AWS's behaviour, not a contract.
   */
  sqsTriggerPollers: { withMaximumConcurrency: 5, lowTraffic: 2 },
  sqsLongPollSeconds: 20,
  /** functions/shared/aws/secrets.ts: a warm poller re-reads its secrets this often (one GetSecretValue, one KMS Decrypt each). */
  secretCacheSeconds: POLLER_SECRET_CACHE_MS / 1000,
  /**
   * The custom metrics a poll that finds no new lead publishes (functions/poller/handler.ts):
   * none. That it ran and how long it took are Lambda's own metrics (free); counts of nothing are
   * not published (functions/shared/observability/observability.ts), LeadsFetched and the cursor
   * lag only when there is news, failures and rate limits only when they happen, and no ColdStart.
   * test/infra/bundle.test.ts checks this list against what the deployable poller bundle prints
   * for such a poll.
   */
  idlePollMetrics: [] as string[],
} as const;

export type Usage = typeof USAGE;
