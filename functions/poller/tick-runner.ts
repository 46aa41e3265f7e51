import { messageOf } from '../shared/domain/errors';
import { decodeTick, MalformedTickError, planFanOut, type Tick, type TickDrop, type TickGate, type TickQueue } from './ticks';

/** The ticks' own log lines: message ids, due times and reasons only. */
export interface TickLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface TickDeps {
  gate: TickGate;
  /** Absent: no fan-out (the local runner, which polls on its own timer). */
  tickQueue?: TickQueue;
  intervalSeconds: number;
  log: TickLog;
  now?: () => number;
}

/** What became of one tick queue message. */
export interface TickOutcome<T> {
  messageId: string;
  due?: string;
  dropped?: TickDrop | 'malformed';
  poll?: T;
}

type PollLike = { stoppedEarly?: string; retryAfterMs?: number };

/**
 * The scheduled invocation: its poll, then (sub-minute schedules) the rest of the minute's polls
 * sent to the tick queue, planned from when this invocation started. A poll that throws still
 * fans out (a transient failure should not cost the minute's other polls); a ban it met does not.
 */
export async function scheduledPoll<T extends PollLike>(deps: TickDeps, poll: (started: number) => Promise<T>): Promise<T> {
  const now = deps.now ?? Date.now;
  const started = now();
  try {
    return await deps.gate.run(started, () => poll(started), now);
  } finally {
    await fanOut(deps, started);
  }
}

/**
 * The tick queue's messages: a poll for each tick the gate admits, in order. A dropped tick is
 * acknowledged (never retried). A poll that fails throws, as a scheduled one does.
 */
export async function tickPolls<T extends PollLike>(
  deps: TickDeps,
  records: readonly { messageId: string; body: string }[],
  poll: (started: number) => Promise<T>,
): Promise<TickOutcome<T>[]> {
  const now = deps.now ?? Date.now;
  const outcomes: TickOutcome<T>[] = [];
  for (const record of records) {
    let tick: Tick;
    try {
      tick = decodeTick(record.body);
    } catch (error) {
      if (!(error instanceof MalformedTickError)) throw error;
      deps.log.warn('tick dropped: not a tick', { messageId: record.messageId, problem: error.message });
      outcomes.push({ messageId: record.messageId, dropped: 'malformed' });
      continue;
    }
    const due = new Date(tick.due).toISOString();
    const at = now();
    const verdict = deps.gate.admit(tick, at);
    if (verdict !== 'poll') {
      // A later tick or the next minute's poll does what this one would have done.
      deps.log.info('tick dropped', { messageId: record.messageId, due, reason: verdict, lateMs: at - tick.due });
      outcomes.push({ messageId: record.messageId, due, dropped: verdict });
      continue;
    }
    // If this throws, Lambda retries the tick only after the queue's visibility timeout (at
    // least the function timeout): by then it is late, and dropped.
    const result = await deps.gate.run(tick.due, () => poll(at), now);
    outcomes.push({ messageId: record.messageId, due, poll: result });
  }
  return outcomes;
}

/** Sends the rest of the minute's ticks; a failure costs those polls only, never the poll that ran. */
async function fanOut(deps: TickDeps, minuteStart: number): Promise<void> {
  if (deps.tickQueue === undefined) return;
  const now = (deps.now ?? Date.now)();
  const pausedUntil = deps.gate.pausedUntil;
  const ticks = planFanOut({ intervalSeconds: deps.intervalSeconds, minuteStart, now, pausedUntil });
  if (ticks.length === 0) {
    if (deps.intervalSeconds < 60 && pausedUntil > now)
      deps.log.warn('sub-minute polling paused by a rate limit', { until: new Date(pausedUntil).toISOString() });
    return;
  }
  try {
    await deps.tickQueue.send(ticks);
    deps.log.info('ticks sent', { count: ticks.length, delaysSeconds: ticks.map((t) => t.delaySeconds) });
  } catch (error) {
    deps.log.warn('ticks not sent: this minute polls once', { error: messageOf(error) });
  }
}
