import { LeadForwarderError } from '../shared/domain/errors';
import { isRecord } from '../shared/domain/is-record';

/**
 * Sub-minute polling (DESIGN §8). EventBridge Scheduler fires at most once a minute, so for a
 * PollSchedule of `rate(N seconds)` the scheduler still invokes the poller once a minute, and
 * that invocation, after its own poll, fans out the rest of the minute's polls as SQS messages
 * ("ticks") with DelaySeconds N, 2N, … ≤ 60 − N to a tick queue that triggers the poller.
 *
 * Why the poller fans out itself rather than a fan-out function of its own: the scheduled
 * invocation happens anyway, so the fan-out costs one SendMessageBatch a minute and no second
 * Lambda; at the default (and every slower) schedule nothing is sent and the tick queue's
 * trigger is disabled, so the default stack runs exactly as before, one invocation a minute.
 * Why after the poll, not before: a poll that runs long (a backlog, a rate-limit wait) makes the
 * ticks due meanwhile pointless, and a ban it meets is known before any tick is sent.
 *
 * What holds, and how:
 * - No two polls of one source overlap: the poller has reserved concurrency 1, so a tick that
 *   arrives while a poll runs is throttled by Lambda and comes back only after the tick queue's
 *   visibility timeout (≥ the function timeout), by when it is late and dropped (acknowledged,
 *   no poll): ticks never queue up behind a running poll. In one process (the local runner,
 *   tests) the gate below drops it as `busy` at once. The state's version check makes any poll
 *   that still raced safe (DESIGN §2).
 * - A missed tick loses nothing (the next poll starts from the cursor); a duplicated one (SQS
 *   delivers at least once) is dropped as `duplicate` when its poll already ran in this
 *   container, and is otherwise one harmless extra poll (the ledger and cursor see to that).
 * - A rate-limit ban (TOP code 7) pauses the fan-out: ticks due before the ban ends are not
 *   sent, and ticks already sent are dropped as `paused` without calling TOP. The once-a-minute
 *   scheduled poll goes on as on the default schedule (it waits out a short ban itself).
 */

/** SQS's limit for DelaySeconds; a minute's ticks need at most 55. */
export const MAX_TICK_DELAY_SECONDS = 900;

/** Without the ban's length, the fan-out pauses until the next scheduled minute. */
export const UNSTATED_PAUSE_MS = 60_000;

/** One poll the minute's fan-out asked for. */
export interface Tick {
  /** When the poll is due (epoch ms). */
  due: number;
  /** The poll interval it was planned for (seconds): a tick later than this is dropped. */
  every: number;
}

/** A tick to send: the tick and the delay that makes SQS deliver it about when it is due. */
export interface PlannedTick {
  tick: Tick;
  delaySeconds: number;
}

/** A tick queue message whose body is not a tick: dropped with a warning (a tick is disposable). */
export class MalformedTickError extends LeadForwarderError {
  override readonly name: string = 'MalformedTickError';
}

/** Where the fan-out puts its ticks (adapter: shared/aws/tick-queue.ts). */
export interface TickQueue {
  send(ticks: readonly PlannedTick[]): Promise<void>;
}

/**
 * The minute's polls after the scheduled one, for a poll interval under a minute: due at
 * `minuteStart` + k·interval (k ≥ 1, before the next minute's scheduled poll), left out when
 * already past at `now` (the poll that just ran covers them) or before `pausedUntil` (a ban).
 * Empty for an interval of a minute or more: the scheduler alone runs those.
 */
export function planFanOut(opts: {
  intervalSeconds: number;
  minuteStart: number;
  now: number;
  pausedUntil?: number;
}): PlannedTick[] {
  const { intervalSeconds, minuteStart, now } = opts;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds <= 0 || intervalSeconds >= 60) return [];
  const planned: PlannedTick[] = [];
  for (let k = 1; k * intervalSeconds < 60; k += 1) {
    const due = minuteStart + k * intervalSeconds * 1000;
    if (due <= now) continue;
    if (opts.pausedUntil !== undefined && due < opts.pausedUntil) continue;
    const delaySeconds = Math.min(MAX_TICK_DELAY_SECONDS, Math.max(0, Math.round((due - now) / 1000)));
    planned.push({ tick: { due, every: intervalSeconds }, delaySeconds });
  }
  return planned;
}

export function encodeTick(tick: Tick): string {
  return JSON.stringify({ due: new Date(tick.due).toISOString(), every: tick.every });
}

/** A tick message body, validated: `{"due": ISO time, "every": whole seconds}`. */
export function decodeTick(body: string): Tick {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new MalformedTickError('tick body is not JSON');
  }
  if (!isRecord(value)) throw new MalformedTickError('tick body is not an object');
  const due = typeof value.due === 'string' ? Date.parse(value.due) : Number.NaN;
  if (!Number.isFinite(due)) throw new MalformedTickError('tick has no valid "due" time');
  const every = value.every;
  if (typeof every !== 'number' || !Number.isInteger(every) || every <= 0 || every > 3600)
    throw new MalformedTickError('tick has no valid "every" (whole seconds, 1-3600)');
  return { due, every };
}

/** Why a tick does not poll. */
export type TickDrop = 'busy' | 'duplicate' | 'late' | 'paused';

/**
 * What a container knows about its own polls: whether one is running, the latest due time it
 * polled for, and until when a ban pauses the ticks. One per container (the handler's module
 * scope); with reserved concurrency 1 that is where every poll of the source runs.
 */
export class TickGate {
  private running = false;
  private lastDue = Number.NEGATIVE_INFINITY;
  private pausedUntilMs = 0;

  /** 'poll', or why this tick is dropped. A dropped tick is acknowledged: it is never retried. */
  admit(tick: Tick, now: number): 'poll' | TickDrop {
    if (this.running) return 'busy';
    if (tick.due <= this.lastDue) return 'duplicate';
    // Later than one interval: the next tick (or the next minute's poll) is due already.
    if (now - tick.due > tick.every * 1000) return 'late';
    if (now < this.pausedUntilMs) return 'paused';
    return 'poll';
  }

  /** Runs one poll (a tick's or the scheduled one) as the poll due at `due`. */
  async run<T extends { stoppedEarly?: string; retryAfterMs?: number }>(
    due: number,
    poll: () => Promise<T>,
    now: () => number = Date.now,
  ): Promise<T> {
    this.running = true;
    this.lastDue = Math.max(this.lastDue, due);
    try {
      const result = await poll();
      this.pausedUntilMs = result.stoppedEarly === 'rate-limited' ? now() + (result.retryAfterMs ?? UNSTATED_PAUSE_MS) : 0;
      return result;
    } finally {
      this.running = false;
    }
  }

  /** Until when a ban pauses the fan-out (epoch ms; 0: no ban known). */
  get pausedUntil(): number {
    return this.pausedUntilMs;
  }
}
