import { isRecord } from '../../../domain/is-record';

/**
 * What an answer of Salesforce's REST API to the upsert means. Sources:
 * - "Insert or Update (Upsert) a Record Using an External ID", REST API Developer Guide
 *   (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-upsert.html): 201 and
 *   `{"id","success","errors","created":true}` for a new record; 200 and `"created":false` for
 *   an updated one (API 46.0 and later; 204 without a body before); 300 when the external id
 *   matches several records; 404 `NOT_FOUND` for an incorrect external id field.
 * - "Status Codes and Error Responses", REST API Developer Guide
 *   (https://developer.salesforce.com/docs/platform/api-rest/guide/errorcodes.html): errors are
 *   a JSON array of `{"message","errorCode","fields"?}`; 401 the session id or OAuth token
 *   expired or is invalid (`INVALID_SESSION_ID`); 403 the request was refused, and
 *   `REQUEST_LIMIT_EXCEEDED` when an API limit is exceeded ("API Request Limits and
 *   Allocations", Salesforce Developer Limits and Allocations Quick Reference); 500 an error
 *   within Salesforce; 503 the server is unavailable (maintenance or overload).
 * - `UNABLE_TO_LOCK_ROW` (another transaction holds the record; "Record Locking" in the Apex
 *   Developer Guide and the SOAP API's StatusCode list): gone once the lock is released.
 */
export type UpsertAnswer =
  | { kind: 'delivered'; recordId?: string; created?: boolean }
  /** The token was refused: a new one, then one more try. */
  | { kind: 'reauthenticate'; reason: string }
  | { kind: 'retry'; reasonClass: 'rate-limit' | 'vendor-error'; reason: string }
  | { kind: 'rejected'; reasonClass: 'rejected-field' | 'auth' | 'config'; reason: string };

/** Codes that a later attempt can get past without anyone changing anything. */
const TRANSIENT_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', 'UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE']);
/** Codes that say the integration user or the org lacks something: an admin's fix, not the lead's. */
const ACCESS_CODES = new Set([
  'INSUFFICIENT_ACCESS',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'API_DISABLED_FOR_ORG',
  'API_CURRENTLY_DISABLED',
]);
const MAX_MESSAGE_CHARS = 300;

export function readUpsertAnswer(status: number, bodyText: string): UpsertAnswer {
  if (status === 200 || status === 201) {
    const body = parse(bodyText);
    const id = isRecord(body) && typeof body.id === 'string' ? body.id : undefined;
    const created = isRecord(body) && typeof body.created === 'boolean' ? body.created : status === 201;
    return { kind: 'delivered', ...(id === undefined ? {} : { recordId: id }), created };
  }
  // Before API 46.0 an update answers 204 with no body, so no record id.
  if (status >= 200 && status <= 299) return { kind: 'delivered', created: false };

  const error = firstError(bodyText);
  const reason = `Salesforce HTTP ${status}${error === undefined ? '' : ` ${describe(error)}`}`;
  if (status === 401) return { kind: 'reauthenticate', reason };
  if (error !== undefined && TRANSIENT_CODES.has(error.errorCode)) {
    return { kind: 'retry', reasonClass: error.errorCode === 'REQUEST_LIMIT_EXCEEDED' ? 'rate-limit' : 'vendor-error', reason };
  }
  if (status === 429) return { kind: 'retry', reasonClass: 'rate-limit', reason };
  if (status >= 500 || status === 408) return { kind: 'retry', reasonClass: 'vendor-error', reason };
  if (status === 300) {
    return { kind: 'rejected', reasonClass: 'config', reason: `Salesforce HTTP 300: the external id matches more than one Lead` };
  }
  if (status === 403 || (error !== undefined && ACCESS_CODES.has(error.errorCode)))
    return { kind: 'rejected', reasonClass: 'auth', reason };
  if (status === 404) return { kind: 'rejected', reasonClass: 'config', reason };
  return { kind: 'rejected', reasonClass: 'rejected-field', reason };
}

interface RestError {
  errorCode: string;
  message: string;
  fields: string[];
}

function firstError(bodyText: string): RestError | undefined {
  const body = parse(bodyText);
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (!isRecord(first) || typeof first.errorCode !== 'string') return undefined;
  return {
    errorCode: first.errorCode,
    message: typeof first.message === 'string' ? first.message : '',
    fields: Array.isArray(first.fields) ? first.fields.filter((f): f is string => typeof f === 'string') : [],
  };
}

/**
 * `CODE: message [fields]`, with the field's value taken out where Salesforce quotes it (it
 * does for STRING_TOO_LONG and invalid emails): the value may be the lead's name or mobile,
 * and the reason reaches logs and the DLQ.
 */
function describe(error: RestError): string {
  const message = error.message
    .replace(/: data value too large: [\s\S]*? \(max length=(\d+)\)/, ': data value too large (max length=$1)')
    .replace(/invalid email address: [\s\S]*$/, 'invalid email address')
    .replace(/\s+/g, ' ')
    .trim();
  const clipped = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
  const fields = error.fields.length === 0 ? '' : ` [${error.fields.join(', ')}]`;
  return `${error.errorCode}${clipped === '' ? '' : `: ${clipped}`}${fields}`;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
