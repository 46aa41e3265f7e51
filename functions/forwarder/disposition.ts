import type { EndpointResult } from './ports';

/**
 * What happens to a record once every endpoint has had its attempt (DESIGN §3): done, back on
 * the queue after a delay, or parked in the DLQ. One pure function, so the rules can be read
 * (and table-driven) in one place; forward.ts only carries the decision out.
 */

/** A record another forwarder is sending right now is looked at again after this long. */
export const BUSY_RETRY_SECONDS = 60;
/**
 * A retry must come this long before SQS would drop the lead (its retention counts from the
 * send, whatever the visibility changes): the receive may come late and take a while. Otherwise
 * the lead is parked now, since a long Retry-After could carry it past the retention unseen.
 */
export const EXPIRY_MARGIN_SECONDS = 3_600;

export interface RecordFacts {
  /** What each endpoint came to on this receive. */
  endpoints: readonly EndpointResult[];
  /** ApproximateReceiveCount: 1 on the first attempt. */
  receiveCount: number;
  /** SentTimestamp (epoch ms as text): when the retention started; undefined if unknown. */
  sentTimestamp: string | undefined;
  nowMs: number;
}

export interface RecordRules {
  /** Receives after which a message that still has retries is parked instead. */
  maxReceiveCount: number;
  /** The leads queue's retention: a retry that would come after SQS drops the lead parks it instead. */
  leadsRetentionSeconds: number;
  backoffSeconds(attempt: number, retryAfterSeconds: number | undefined): number;
}

export type Disposition =
  /** Delivered everywhere (now or before): the message may leave the queue. */
  | { kind: 'done' }
  /** Some endpoint may still take it: hide the message for `delaySeconds`. `reason` names those endpoints. */
  | { kind: 'retry'; delaySeconds: number; reason: string }
  /**
   * To the DLQ, for the `endpoints` that did not take it. `reason` is logged (no receiver's
   * body); `dlqReason` adds what the endpoints answered, for the DLQ message that holds the lead anyway.
   */
  | { kind: 'parked'; reason: string; dlqReason: string; endpoints: string[] };

/**
 * Settled everywhere: done. Some endpoint to retry (or busy): a retry after the backoff (never
 * shorter than a Retry-After or the busy wait), unless this was the last receive, or the retry
 * would come within EXPIRY_MARGIN_SECONDS of SQS dropping the lead: then parked. Nothing to
 * retry but an endpoint rejected it or is gone: parked, for a replay once that is fixed.
 */
export function dispositionOf(facts: RecordFacts, rules: RecordRules): Disposition {
  const { endpoints, receiveCount } = facts;
  const pending = endpoints.filter((e) => e.state === 'retry' || e.state === 'busy');
  const refused = endpoints.filter((e) => e.state === 'rejected' || e.state === 'gone');
  const unsettled = [...pending, ...refused];
  if (unsettled.length === 0) return { kind: 'done' };
  const parked = (reason: string): Disposition => ({
    kind: 'parked',
    reason,
    dlqReason: `${reason}${answers(unsettled)}`,
    endpoints: unsettled.map((e) => e.endpoint),
  });

  if (pending.length === 0) return parked(describe(unsettled));
  if (receiveCount >= rules.maxReceiveCount) return parked(`gave up after ${receiveCount} attempts: ${describe(unsettled)}`);

  const retryAfter = Math.max(
    0,
    ...pending.map((e) => (e.state === 'busy' ? BUSY_RETRY_SECONDS : 0)),
    ...endpoints.map((e) => e.retryAfterSeconds ?? 0),
  );
  const delaySeconds = rules.backoffSeconds(receiveCount, retryAfter > 0 ? retryAfter : undefined);
  const left = secondsBeforeExpiry(facts.sentTimestamp, rules.leadsRetentionSeconds, facts.nowMs);
  if (left === undefined || delaySeconds + EXPIRY_MARGIN_SECONDS <= left)
    return { kind: 'retry', delaySeconds, reason: describe(pending) };
  return parked(
    `parked after ${receiveCount} attempts: the next one (in ${delaySeconds} s) would come after the leads queue drops the lead (${Math.round(left)} s from now): ${describe(unsettled)}`,
  );
}

/** Seconds until SQS drops a message sent at `sentTimestamp` (epoch ms as text); undefined if unknown. */
function secondsBeforeExpiry(sentTimestamp: string | undefined, retentionSeconds: number, nowMs: number): number | undefined {
  const sentMs = Number(sentTimestamp);
  if (sentTimestamp === undefined || !Number.isFinite(sentMs) || sentMs <= 0) return undefined;
  return (sentMs + retentionSeconds * 1000 - nowMs) / 1000;
}

function describe(results: readonly EndpointResult[]): string {
  return results.map((e) => e.reason ?? `${e.endpoint}: ${e.state}`).join('; ');
}

function answers(results: readonly EndpointResult[]): string {
  const said = results.filter((e) => e.response !== undefined).map((e) => `${e.endpoint} answered: ${e.response}`);
  return said.length === 0 ? '' : ` — ${said.join('; ')}`;
}
