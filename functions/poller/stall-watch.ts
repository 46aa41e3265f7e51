/**
 * "No successful poll for a while", told by the poller itself. CloudWatch can only alarm on the
 * absence of a metric that a healthy poller publishes every interval, which costs $0.30 a month
 * (infra/cost); the stack's alarm instead watches the poller's free Invocations for "not running
 * at all", and the poller reports the rest: polls that run but keep failing, or that a TOP ban
 * keeps from reading anything (which is no Lambda error), once they have lasted NO_POLL_INTERVALS
 * intervals. One container (reserved concurrency 1) sees every poll; a new one starts counting
 * afresh, so a stall is reported at most NO_POLL_INTERVALS intervals late.
 */

/** "The poller has stopped": this many poll intervals in a row without a successful poll. */
export const NO_POLL_INTERVALS = 5;

/**
 * The functions' metrics are standard resolution (one datapoint a minute), and an alarm period
 * must be 10, 30 or a multiple of 60 s: a 10- or 30-s period over a standard-resolution metric
 * would see most periods empty. So "no poll" looks at whole minutes on the sub-minute schedules:
 * 5 minutes, as on the default schedule.
 */
export const MIN_ALARM_PERIOD_SECONDS = 60;

/** The "no poll" period (seconds) for a poll interval: one interval, at least a minute. */
export function noPollPeriodSeconds(intervalSeconds: number): number {
  return Math.max(MIN_ALARM_PERIOD_SECONDS, intervalSeconds);
}

/** Polls that do not succeed for this long (ms) are a stall worth an operator. */
export function stallAfterMs(intervalSeconds: number): number {
  return NO_POLL_INTERVALS * noPollPeriodSeconds(intervalSeconds) * 1000;
}

export class StallWatch {
  private since: number;
  private reported = false;

  /** `startedAt`: when this container began (it knows of no success before). */
  constructor(
    private readonly stallMs: number,
    startedAt: number,
  ) {
    this.since = startedAt;
  }

  succeeded(at: number): void {
    this.since = at;
    this.reported = false;
  }

  /** True once per stall: the first unsuccessful poll at least `stallMs` after the last success. */
  failed(at: number): boolean {
    if (this.reported || at - this.since < this.stallMs) return false;
    this.reported = true;
    return true;
  }
}
