import { SECRET_CACHE_MS } from '../../functions/shared/aws/secrets';
import { POLLER_METRICS } from '../../functions/shared/observability/metric-names';

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
  /**
   * What an idle poll writes to CloudWatch Logs: Lambda's START, END and REPORT lines, the
   * "poll finished" line and one EMF document, with CloudWatch's 26 bytes of overhead per event.
   * An estimate from the local runner's output.
   */
  idlePollLogBytes: 2_000,
  /**
   * An SQS trigger (event source mapping) keeps long-polling (20 s) an empty queue. AWS documents
   * that at low traffic Lambda scales back to five concurrent pollers, and can go down to two to
   * save SQS calls, but not when the trigger sets a maximum concurrency:
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html. So 5 (or 2) × 3
   * empty ReceiveMessage requests a minute per trigger; an estimate of AWS's behaviour, not a contract.
   */
  sqsTriggerPollers: { withMaximumConcurrency: 5, lowTraffic: 2 },
  sqsLongPollSeconds: 20,
  /** functions/shared/aws/secrets.ts: a warm container re-reads its secrets this often (one GetSecretValue, one KMS Decrypt each). */
  secretCacheSeconds: SECRET_CACHE_MS / 1000,
  /**
   * The custom metrics a poll that finds no new lead publishes (functions/poller/handler.ts): its
   * outcome, its timings, and LeadsFetched, which counts the newest page the poll reads (leads
   * already forwarded included: not 0 once the merchant has any lead). Counts of nothing
   * (enqueued, rejected: 0) are not published (functions/shared/observability/observability.ts),
   * failures and rate limits only when they happen. test/infra/bundle.test.ts checks this list
   * against what the deployable poller bundle prints for such a poll.
   */
  idlePollMetrics: [
    POLLER_METRICS.pollSucceeded,
    POLLER_METRICS.leadsFetched,
    POLLER_METRICS.pollDurationMs,
    POLLER_METRICS.cursorLagSeconds,
  ] as string[],
  /**
   * Powertools publishes ColdStart (dimensions service and function_name) once per container;
   * a poller invoked every minute or more often keeps its container for hours, so this many
   * hours a day carry one. An estimate; the forwarder of an idle stack never starts.
   */
  pollerColdStartHoursPerDay: 6,
} as const;

export type Usage = typeof USAGE;
