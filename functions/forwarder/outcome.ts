import type { WebhookFormatName } from '../shared/domain/settings';
import { interpretResponse } from '../shared/webhook/formats';
import type { SendResult } from '../shared/webhook/sender';
import type { AttemptResult } from './ports';

/**
 * What a send result means for the lead (DESIGN §3), and when to try again. Pure functions:
 * the forwarder acts on the answer (ledger, SQS visibility, DLQ), these only decide. They sit
 * with the forwarder rather than in shared/webhook because they are its delivery rules and
 * answer in its port's AttemptResult: the webhook code only renders, sends and reads bodies.
 *
 * An AttemptResult's `reason` is for logs, the ledger and the DLQ: what happened and where,
 * never the receiver's body (a validation error often echoes the lead it was sent: name,
 * phone). `response`, the start of that body, is kept only when the receiver did not accept,
 * for the places that already hold the lead (the DLQ message) or a synthetic one
 * (`send-test-lead`). `retryAfterSeconds` comes from `Retry-After` or a robot's documented
 * penalty: backoffSeconds never goes below it.
 */

/** SQS's maximum visibility timeout (12 h): no wait can be longer than one receive can hold. */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** A `Retry-After` further out than this is clamped: we will not park a lead longer. */
export const MAX_RETRY_AFTER_SECONDS = MAX_VISIBILITY_SECONDS;
/** The first retry waits up to this long; each further attempt doubles the ceiling. */
export const BACKOFF_BASE_SECONDS = 10;
/** The ceiling of the exponential part: after ~9 attempts every retry waits up to an hour. */
export const BACKOFF_CAP_SECONDS = 3_600;

const MAX_BODY_IN_REASON = 200;

/** What classifyResponse decides; `classify` adds the facts of the send (status, latency, the answer). */
type Verdict = Pick<AttemptResult, 'outcome' | 'reason' | 'retryAfterSeconds'>;

/**
 * Classifies one attempt. 410 → gone; then the format's reading of the body (chat robots answer
 * 200 with an error code, see formats/*); then the status: 2xx delivered, 429 and 5xx retry,
 * 3xx and other 4xx rejected. Timeouts and connection errors retry. `endpoint` names the
 * endpoint in the reason; `now` anchors an HTTP-date `Retry-After`.
 */
export function classify(
  result: SendResult,
  format: WebhookFormatName,
  opts: { endpoint?: string; now?: Date } = {},
): AttemptResult {
  const where = opts.endpoint ?? 'endpoint';
  if (result.kind === 'network') return networkRetry(result, where);
  const verdict = classifyResponse(result, format, where, opts.now ?? new Date());
  const facts = { ...verdict, status: result.status, latencyMs: result.latencyMs };
  // Only an answer that did not accept the lead is kept (for the DLQ); a delivery needs none.
  return verdict.outcome === 'delivered' ? facts : { ...facts, response: excerpt(result.body) };
}

/** No answer (a timeout, a refused or broken connection): always worth another try, for webhooks and connectors alike. */
export function networkRetry(result: Extract<SendResult, { kind: 'network' }>, where: string): AttemptResult {
  return {
    outcome: 'retry',
    reason: `${result.reason === 'timeout' ? 'timeout' : 'connection error'} from ${where}: ${result.message}`,
    reasonClass: 'network',
    latencyMs: result.latencyMs,
  };
}

function classifyResponse(
  result: Extract<SendResult, { kind: 'response' }>,
  format: WebhookFormatName,
  where: string,
  now: Date,
): Verdict {
  const { status } = result;
  const summary = `HTTP ${status} from ${where}${result.bodyIncomplete === true ? ' (its body was cut short)' : ''}`;
  const retryAfterSeconds = parseRetryAfter(result.retryAfter, now);
  if (status === 410) return { outcome: 'gone', reason: summary };

  const verdict = interpretResponse(format, status, result.body);
  if (verdict !== undefined) {
    if (verdict.outcome === 'delivered') return { outcome: 'delivered', reason: summary };
    const reason = `${verdict.reason} (${summary})`;
    if (verdict.outcome === 'rejected') return { outcome: 'rejected', reason };
    const wait = maxDefined(verdict.retryAfterSeconds, retryAfterSeconds);
    return wait === undefined ? { outcome: 'retry', reason } : { outcome: 'retry', reason, retryAfterSeconds: wait };
  }

  if (status >= 200 && status < 300) return { outcome: 'delivered', reason: summary };
  if (status === 429 || status >= 500)
    return retryAfterSeconds === undefined
      ? { outcome: 'retry', reason: summary }
      : { outcome: 'retry', reason: summary, retryAfterSeconds };
  // 1xx cannot end an exchange; 3xx (never followed: update the URL) and the other 4xx are permanent.
  return { outcome: 'rejected', reason: summary };
}

/**
 * Seconds to wait from a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds or an HTTP-date
 * relative to `now`; a date in the past gives 0; anything else is undefined. Clamped to
 * MAX_RETRY_AFTER_SECONDS.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
  // Only the date forms HTTP allows contain a letter (a weekday or month name); this keeps
  // Date.parse from reading a bare "-5" or "1.5" as a date.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, Math.ceil((at - now.getTime()) / 1000)), MAX_RETRY_AFTER_SECONDS);
}

/**
 * The wait before retry number `attempt` (1 = after the first failed attempt): exponential
 * backoff with full jitter, uniform in [1, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS·2^(attempt−1))]
 * whole seconds, so a burst of failures does not come back in lockstep; never less than
 * `retryAfterSeconds`; never more than MAX_VISIBILITY_SECONDS. `random` returns [0, 1).
 */
export function backoffSeconds(attempt: number, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^12 already exceeds the cap: bounding the exponent keeps the arithmetic exact.
  const ceiling = Math.min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** Math.min(exponent, 12));
  const jittered = Math.max(1, Math.ceil(random() * ceiling));
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(jittered, retryAfterSeconds ?? 0));
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

// Even where the excerpt may go, a mobile number the receiver echoes is masked: the DLQ body
// keeps the lead as received (possibly still encrypted), and the excerpt must not add a plain one.
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/g;

/** The start of a receiver's answer, whitespace flattened and mobiles masked (for the DLQ and test leads, never logs). */
export function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim().replace(MOBILE, '1**********');
  if (flat === '') return '(empty body)';
  return flat.length <= MAX_BODY_IN_REASON ? flat : `${flat.slice(0, MAX_BODY_IN_REASON)}…`;
}
