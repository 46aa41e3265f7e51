import { isRecord } from '../../../domain/is-record';

/**
 * HubSpot's answer to a batch upsert of one input, read into what the forwarder does next.
 *
 * Sources (HubSpot developer documentation):
 * - 200 with `{"status": "COMPLETE", "results": [{"id", "new", …}]}`; 207 multi-status with `errors`
 *   and `numErrors`: https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 * - The error body `{"status": "error", "message", "correlationId", "category", "errors": [{"message",
 *   "code", "context"}]}`, 401 (authentication invalid), 403 (missing scopes), and the statuses to retry:
 *   "Error handling", https://developers.hubspot.com/docs/api-reference/error-handling. That page says
 *   every field of the body is optional; it shows a per-property error as `{"message": "discount was not a
 *   valid number", "code": "INVALID_INTEGER", "context": {"propertyName": ["discount"]}}`, and a batch
 *   input's error with no `errors` list, its codes only inside the message: `"Property values were not
 *   valid: [{\"isValid\":false, \"message\": …, \"error\":\"PROPERTY_DOESNT_EXIST\", \"name\":\"missing\", …}]"`.
 *   - 423 Locked: "returned when attempting to sync a large volume of data … Locks will last for 2
 *     seconds", so wait at least 2 seconds.
 *   - 477 Migration in Progress: the account is moving between data centres; a `Retry-After` header
 *     says how many seconds to wait ("typically up to 24 hours").
 *   - 502/504 (processing limits), 503, 521, 523, 524: pause a few seconds, then retry; 522, 525 and
 *     526 ask to contact HubSpot support, retried all the same (the lead is not at fault) until parked.
 *   - 408 is not in HubSpot's table: it is read as HTTP defines it (RFC 9110 §15.5.9, the server gave
 *     up waiting for the request), so the request may be sent again; the upsert makes that harmless.
 * - Per-property codes: INVALID_INTEGER and PROPERTY_DOESNT_EXIST are the ones HubSpot's page shows.
 *   HubSpot publishes no list of them; INVALID_OPTION ("<value> was not one of the allowed options: […]"),
 *   INVALID_EMAIL ("Email address <value> is invalid") and INVALID_LONG are as HubSpot's answers carry
 *   them, quoted in public client code and issues, not in HubSpot's documentation. Their messages quote
 *   the refused value, which may be the lead's name or mobile: a reason keeps each code and property
 *   name and never their messages.
 * - 429 `{"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING" | "DAILY"}`: the limits reset on a
 *   rolling ten-second window, and the daily one at midnight in the account's time zone:
 *   https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
 */

import { withoutValues } from '../sent-values';
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
/** HubSpot's record locks last 2 seconds (423, see the header). */
const LOCKED_RETRY_SECONDS = 2;
/** A 477 without its Retry-After: a data-centre move takes hours, so look again in an hour. */
const MIGRATION_RETRY_SECONDS = 3600;

/**
 * `retryAfterSeconds` is HubSpot's `Retry-After` when it sends one; `sentValues` (sent-values.ts), the
 * property values of the request, are cut out of any free-text message that the reason keeps.
 *
 * A 401 is retried, not parked: a private-app token is static, so there is nothing to renew, and
 * the cause (a rotated, expired or deleted token, a removed scope) belongs to the endpoint, not to
 * the lead. Retrying keeps the leads on the queue while the operator puts in the new token (the
 * alarm on failed deliveries says so, with reason class `auth`); after the last attempt they are
 * in the DLQ, replayable.
 */
export function readUpsertAnswer(
  status: number,
  bodyText: string,
  options: { retryAfterSeconds?: number; sentValues?: readonly string[] } = {},
): HubSpotVerdict {
  const body = parse(bodyText);
  const error = errorOf(body, bodyText);
  const retryAfterSeconds = options.retryAfterSeconds;
  const said = error === undefined ? '' : `: ${describe(error, options.sentValues ?? [])}`;
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
  if (status === 423) {
    const seconds = Math.max(retryAfterSeconds ?? 0, LOCKED_RETRY_SECONDS);
    return { outcome: 'retry', reasonClass: 'vendor-error', reason: `HubSpot 423 locked${said}`, retryAfterSeconds: seconds };
  }
  if (status === 477) {
    return {
      outcome: 'retry',
      reasonClass: 'vendor-error',
      reason: `HubSpot 477 migration in progress${said}`,
      retryAfterSeconds: retryAfterSeconds ?? MIGRATION_RETRY_SECONDS,
    };
  }
  if (status >= 500 || status === 408)
    return { outcome: 'retry', reasonClass: 'vendor-error', reason: `HubSpot ${status}${said}`, ...after };
  return {
    outcome: 'rejected',
    reasonClass: 'rejected-field',
    reason: `HubSpot ${status}${said || ' (no error body)'}`,
    code: error?.code ?? `HTTP_${status}`,
  };
}

/** One refused property: HubSpot's code and the property's internal name, never its message. */
interface PropertyError {
  code: string;
  property?: string;
}

/** What a reason may say of an error body. `message` is free text, shown only when there are no property errors. */
interface HubSpotError {
  code: string;
  category?: string;
  properties: PropertyError[];
  /** HubSpot's own summary for property errors ("Property values were not valid"), when it gave that one. */
  propertySummary?: string;
  message?: string;
}

const PROPERTY_VALUES_NOT_VALID = 'Property values were not valid';
const MAX_MESSAGE_LENGTH = 300;
/** An error code (`INVALID_OPTION`) and a property's internal name (`hs_lead_status`): what may be shown of them. */
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const PROPERTY = /^[a-z0-9_-]{1,100}$/;

function describe(error: HubSpotError, sentValues: readonly string[]): string {
  if (error.properties.length > 0) {
    const list = error.properties.map((p) => (p.property === undefined ? p.code : `${p.code} (${p.property})`)).join(', ');
    const head = [error.category, error.propertySummary].filter((part) => part !== undefined).join(' ');
    return `${head === '' ? '' : `${head}: `}${list}`;
  }
  const message = error.message === undefined ? '' : redacted(error.message, sentValues);
  return message === '' ? error.code : `${error.code} ${message}`;
}

/**
 * A free-text message without the values that were sent, on one line and clipped. A second line of
 * defence: messages that quote values are property errors, and their messages are never shown (above).
 */
function redacted(message: string, values: readonly string[]): string {
  const text = withoutValues(message, values).replace(/\s+/g, ' ').trim();
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}

/**
 * The code, category and property errors of an error body. A 207 carries the failed inputs' errors
 * in a list, each shaped like an error body. A body that is not JSON (cut at the sender's 4 KB, as
 * a long list of allowed options can make it) is searched for codes and property names only.
 */
function errorOf(body: unknown, bodyText: string): HubSpotError | undefined {
  if (!isRecord(body)) return salvaged(bodyText);
  const nested = Array.isArray(body.errors) && body.status !== 'error' ? body.errors.find(isRecord) : undefined;
  const source = nested ?? body;
  const details = Array.isArray(source.errors) ? source.errors.filter(isRecord) : [];
  const message = text(source.message) ?? text(details[0]?.message);
  const validation = message !== undefined && message.startsWith(PROPERTY_VALUES_NOT_VALID);
  const properties = unique([
    ...details.flatMap((detail): PropertyError[] => {
      const code = safe(detail.code, CODE);
      if (code === undefined) return [];
      const names = isRecord(detail.context) && Array.isArray(detail.context.propertyName) ? detail.context.propertyName : [];
      const property = safe(names[0], PROPERTY) ?? safe(detail.in, PROPERTY);
      return [property === undefined ? { code } : { code, property }];
    }),
    ...(validation ? embedded(message) : []),
  ]);
  const category = safe(source.category, CODE) ?? safe(source.errorType, CODE);
  const code = properties[0]?.code ?? category;
  if (code === undefined && message === undefined) return undefined;
  return {
    code: code ?? 'UNKNOWN',
    ...(category === undefined ? {} : { category }),
    properties,
    ...(validation ? { propertySummary: PROPERTY_VALUES_NOT_VALID } : {}),
    // A validation message is HubSpot's list of property results, values and all: never free text.
    ...(validation || message === undefined ? {} : { message }),
  };
}

/** The `[{"isValid": false, "message", "error", "name", …}]` list in "Property values were not valid: […]". */
function embedded(message: string): PropertyError[] {
  const list = parse(message.slice(message.indexOf('[')));
  if (!Array.isArray(list)) return scan(message);
  return list.filter(isRecord).flatMap((result): PropertyError[] => {
    const code = safe(result.error, CODE);
    const property = safe(result.name, PROPERTY);
    if (code === undefined) return [];
    return [property === undefined ? { code } : { code, property }];
  });
}

/** A body that is not JSON: the codes and property names it names, in order; no other text. */
function salvaged(bodyText: string): HubSpotError | undefined {
  const properties = unique(scan(bodyText));
  const category = CATEGORY.exec(bodyText)?.[1];
  const code = properties[0]?.code ?? category;
  if (code === undefined) return undefined;
  return {
    code,
    ...(category === undefined ? {} : { category }),
    properties,
    ...(bodyText.includes(PROPERTY_VALUES_NOT_VALID) ? { propertySummary: PROPERTY_VALUES_NOT_VALID } : {}),
  };
}

// A key and its text value, at any depth of JSON-in-a-string (each level adds backslashes before the quotes).
const Q = String.raw`\\*"`;
const CATEGORY = new RegExp(`${Q}category${Q}\\s*:\\s*${Q}([A-Z][A-Z0-9_]{0,63})${Q}`);
const TOKEN = new RegExp(
  `${Q}(error|code)${Q}\\s*:\\s*${Q}([A-Z][A-Z0-9_]{0,63})${Q}|${Q}(name|propertyName)${Q}\\s*:\\s*\\[?\\s*${Q}([a-z0-9_-]{1,100})${Q}`,
  'g',
);

/** Codes in order, each with the property name that follows it before the next code. */
function scan(text: string): PropertyError[] {
  const found: PropertyError[] = [];
  for (const match of text.matchAll(TOKEN)) {
    if (match[2] !== undefined) found.push({ code: match[2] });
    else if (match[4] !== undefined && found.length > 0 && found[found.length - 1]!.property === undefined)
      found[found.length - 1]!.property = match[4];
  }
  return found;
}

/** Each (code, property) once; a code without its property is dropped where another mention names it. */
function unique(errors: PropertyError[]): PropertyError[] {
  const seen = new Set<string>();
  const named = new Set(errors.filter((error) => error.property !== undefined).map((error) => error.code));
  return errors.filter((error) => {
    if (error.property === undefined && named.has(error.code)) return false;
    const key = `${error.code} ${error.property ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function firstResult(body: unknown): { recordId: string; created: boolean } | undefined {
  if (!isRecord(body) || !Array.isArray(body.results)) return undefined;
  const result = body.results.find(isRecord);
  const id = text(result?.id);
  return id === undefined ? undefined : { recordId: id, created: result?.new === true };
}

function safe(value: unknown, pattern: RegExp): string | undefined {
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
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
