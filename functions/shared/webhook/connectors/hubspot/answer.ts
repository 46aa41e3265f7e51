import { isRecord } from '../../../domain/is-record';

/**
 * HubSpot's answer to a batch upsert of one input, read into what the forwarder does next.
 *
 * Sources (HubSpot developer documentation):
 * - 200 with `{"status": "COMPLETE", "results": [{"id", "new", …}]}`; 207 multi-status with `errors`
 *   and `numErrors`: https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 * - The error body `{"status": "error", "message", "correlationId", "category", "errors": [{"message",
 *   "code", "context"}]}`, 401 (authentication invalid), 403 (missing scopes), 5xx and timeouts:
 *   https://developers.hubspot.com/docs/api-reference/error-handling
 * - 429 `{"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING" | "DAILY"}`: the limits reset on a
 *   rolling ten-second window, and the daily one at midnight in the account's time zone:
 *   https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
 */

import type { ReasonClass } from '../types';

export type HubSpotReasonClass = ReasonClass;

export type HubSpotVerdict =
  | { outcome: 'delivered'; recordId: string; created: boolean }
  | { outcome: 'retry'; reasonClass: HubSpotReasonClass; reason: string; retryAfterSeconds?: number }
  | { outcome: 'rejected'; reasonClass: 'rejected-field'; reason: string; code: string };

/** After a secondly limit the window has moved on in ten seconds. */
const SECONDLY_RETRY_SECONDS = 10;
/** The daily limit resets at midnight in a time zone the forwarder does not know: look again in an hour. */
const DAILY_RETRY_SECONDS = 3600;

/**
 * `retryAfterSeconds` is HubSpot's `Retry-After` when it sends one. A 401 is retried, not parked:
 * a private-app token is static, so there is nothing to renew, and the cause (a rotated, expired
 * or deleted token, a removed scope) belongs to the endpoint, not to the lead. Retrying keeps the
 * leads on the queue while the operator puts in the new token (the alarm on failed deliveries
 * says so, with reason class `auth`); after the last attempt they are in the DLQ, replayable.
 */
export function readUpsertAnswer(
  status: number,
  bodyText: string,
  options: { retryAfterSeconds?: number; sentValues?: readonly string[] } = {},
): HubSpotVerdict {
  const body = parse(bodyText);
  const error = redacted(errorOf(body), options.sentValues ?? []);
  const retryAfterSeconds = options.retryAfterSeconds;
  const said = error === undefined ? '' : `: ${error.code} ${error.message}`;
  const after = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };

  if (status >= 200 && status < 300) {
    const result = firstResult(body);
    if (result !== undefined) return { outcome: 'delivered', ...result };
    // A 207 without our record names why it was not written.
    if (error !== undefined)
      return { outcome: 'rejected', reasonClass: 'rejected-field', reason: `HubSpot ${status}${said}`, code: error.code };
    // A success we cannot read may or may not have written: the upsert makes trying again harmless.
    return { outcome: 'retry', reasonClass: 'vendor-error', reason: `HubSpot ${status} without a record id in its answer` };
  }
  if (status === 401 || status === 403) {
    return {
      outcome: 'retry',
      reasonClass: 'auth',
      reason: `HubSpot ${status}${said || ' (token refused)'}: check the private app's token and scopes`,
      ...after,
    };
  }
  if (status === 429) {
    const daily = isRecord(body) && body.policyName === 'DAILY';
    return {
      outcome: 'retry',
      reasonClass: 'rate-limit',
      reason: `HubSpot 429${isRecord(body) && typeof body.policyName === 'string' ? ` ${body.policyName}` : ''} rate limit`,
      retryAfterSeconds: retryAfterSeconds ?? (daily ? DAILY_RETRY_SECONDS : SECONDLY_RETRY_SECONDS),
    };
  }
  // 423 Locked: the record is being written by another call; HubSpot asks to come back shortly.
  if (status >= 500 || status === 423 || status === 408)
    return { outcome: 'retry', reasonClass: 'vendor-error', reason: `HubSpot ${status}${said}`, ...after };
  return {
    outcome: 'rejected',
    reasonClass: 'rejected-field',
    reason: `HubSpot ${status}${said || ' (no error body)'}`,
    code: error?.code ?? `HTTP_${status}`,
  };
}

/** HubSpot's messages quote refused values ("Email address … is invalid"); a reason goes to logs and the DLQ, so they are cut out. */
const MAX_MESSAGE_LENGTH = 500;
const MIN_REDACTED_LENGTH = 2;

function redacted(error: { code: string; message: string } | undefined, values: readonly string[]): typeof error {
  if (error === undefined) return undefined;
  let message = error.message;
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value.length >= MIN_REDACTED_LENGTH) message = message.split(value).join('…');
  }
  return {
    code: error.code,
    message: message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message,
  };
}

/** The code and message of an error body: the first detailed error's `code`, else the `category`. */
function errorOf(body: unknown): { code: string; message: string } | undefined {
  if (!isRecord(body)) return undefined;
  // A 207 carries the failed inputs' errors in a list, each shaped like an error body.
  const nested = Array.isArray(body.errors) && body.status !== 'error' ? body.errors.find(isRecord) : undefined;
  const source = nested ?? body;
  const details = Array.isArray(source.errors) ? source.errors.find(isRecord) : undefined;
  const code = text(details?.code) ?? text(source.category) ?? text(source.errorType);
  const message = text(source.message) ?? text(details?.message);
  if (code === undefined && message === undefined) return undefined;
  return { code: code ?? 'UNKNOWN', message: message ?? '' };
}

function firstResult(body: unknown): { recordId: string; created: boolean } | undefined {
  if (!isRecord(body) || !Array.isArray(body.results)) return undefined;
  const result = body.results.find(isRecord);
  const id = text(result?.id);
  return id === undefined ? undefined : { recordId: id, created: result?.new === true };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parse(bodyText: string): unknown {
  try {
    return JSON.parse(bodyText) as unknown;
  } catch {
    return undefined;
  }
}
