import { LeadForwarderError } from '../domain/errors';

/**
 * What can go wrong talking to TOP, and what to do about it (DESIGN §1). `classifyTopFailure`
 * is the whole retry policy as one pure table; the error classes carry its verdict
 * (`retryable`, `retryAfterMs`) so the client and the poller act on data, not on messages.
 */

/** A failure as observed, before any decision is made about it. */
export type TopFailure =
  | { kind: 'network'; detail: string }
  | { kind: 'http-status'; status: number; location?: string }
  | { kind: 'not-json'; status: number; snippet: string }
  | { kind: 'unexpected-body'; detail: string }
  | { kind: 'api-error'; code?: number; msg?: string; subCode?: string; subMsg?: string }
  | { kind: 'result-not-ok'; resultErrorCode?: string; errorMsg?: string };

export interface TopFailureVerdict {
  retryable: boolean;
  /** Only for code 7: how long the platform said the ban lasts, plus one second. */
  retryAfterMs?: number;
  /** One line naming the failure and what to do about it. */
  summary: string;
}

/** Codes after which the merchant (or the app owner) must act before any call can succeed. */
const AUTHORIZATION_CODES = new Set([11, 26, 27]);

/** Why each platform code that is never retried happens, and what fixes it. */
const PERMANENT_CODES: ReadonlyMap<number, { reason: string; action: string }> = new Map([
  [9, { reason: 'HTTP method not allowed', action: 'the gateway must be called with POST; report it' }],
  [
    11,
    {
      reason: 'insufficient app permissions or IP not whitelisted',
      action:
        "grant the app access to this API; Lambda has no fixed outbound IP, so switch off the app's IP whitelist (run locally, adding this machine's public IP to it also works)",
    },
  ],
  [12, { reason: 'insufficient user permissions', action: 'the merchant must authorize the app for this API' }],
  [21, { reason: 'missing method', action: 'this is a client bug; report it' }],
  [22, { reason: 'invalid method', action: 'this gateway does not know the API; check TopGatewayUrl' }],
  [23, { reason: 'invalid format', action: 'this is a client bug; report it' }],
  [24, { reason: 'missing signature', action: 'this is a client bug; report it' }],
  [25, { reason: 'invalid signature', action: 'check TopAppSecret and TopSignMethod' }],
  [26, { reason: 'session missing', action: 'the merchant must authorize the app and you must set TopSessionKey' }],
  [27, { reason: 'session expired', action: 'the merchant must re-authorize the app and you must update TopSessionKey' }],
  [28, { reason: 'missing app key', action: 'set TopAppKey' }],
  [29, { reason: 'invalid app key', action: 'check TopAppKey' }],
  [30, { reason: 'missing timestamp', action: 'this is a client bug; report it' }],
  [31, { reason: 'invalid timestamp', action: 'the host clock is more than 10 minutes off; fix its time synchronization' }],
  [32, { reason: 'missing version', action: 'this is a client bug; report it' }],
  [33, { reason: 'invalid version', action: 'this is a client bug; report it' }],
  [34, { reason: 'unsupported version', action: 'this is a client bug; report it' }],
  [40, { reason: 'missing required arguments', action: 'this is a client bug or the API changed; report it' }],
  [41, { reason: 'invalid arguments', action: 'check PageSize (1-100); otherwise report it' }],
]);

const BAN_SECONDS = /ban will last for (\d+) more seconds?/i;
/** How long a rate limit is waited out when its message does not say. */
const UNSTATED_BAN_SECONDS = 60;

/**
 * The retry policy as a table. Retried: network errors, HTTP 5xx and 429, a non-JSON body,
 * code 7 (after the ban's N seconds + 1), code 10, `isp.*` sub-codes and `result_ok: false`.
 * Never retried: `isv.*`, the codes of PERMANENT_CODES (11, 25, 26, 27, 29, 31, 40, 41, …) and
 * anything unknown — failing loudly beats hammering the gateway with a call that cannot work.
 */
export function classifyTopFailure(failure: TopFailure): TopFailureVerdict {
  switch (failure.kind) {
    case 'network':
      return { retryable: true, summary: `TOP gateway unreachable (${failure.detail}); retryable` };
    case 'http-status':
      return classifyStatus(failure.status, failure.location);
    case 'not-json':
      return {
        retryable: true,
        summary: `TOP gateway answered HTTP ${failure.status} with a body that is not JSON (${failure.snippet}); retryable`,
      };
    case 'unexpected-body':
      return {
        retryable: false,
        summary: `TOP response has an unexpected shape (${failure.detail}); check TopGatewayUrl, otherwise report it`,
      };
    case 'result-not-ok': {
      const code = failure.resultErrorCode ?? 'no code';
      const msg = failure.errorMsg ?? 'no message';
      return {
        retryable: true,
        summary: `TOP call returned result_ok=false (result_error_code ${code}: ${msg}); retryable like a platform error`,
      };
    }
    case 'api-error':
      return classifyApiError(failure);
  }
}

function classifyStatus(status: number, location: string | undefined): TopFailureVerdict {
  if (status >= 500 || status === 429) return { retryable: true, summary: `TOP gateway answered HTTP ${status}; retryable` };
  if (status >= 300 && status < 400) {
    return {
      retryable: false,
      summary: `TOP gateway answered HTTP ${status} (redirect to ${location ?? 'nowhere'}); redirects are not followed: check TopGatewayUrl`,
    };
  }
  return { retryable: false, summary: `TOP gateway answered HTTP ${status}; check TopGatewayUrl` };
}

function classifyApiError(failure: Extract<TopFailure, { kind: 'api-error' }>): TopFailureVerdict {
  const { code, subCode } = failure;
  const head = `TOP error ${code ?? '(no code)'}`;
  const said = platformSaid(failure);
  const permanent = code === undefined ? undefined : PERMANENT_CODES.get(code);
  if (permanent !== undefined) return { retryable: false, summary: `${head} (${permanent.reason}): ${permanent.action}${said}` };
  if (subCode?.startsWith('isv.')) {
    return {
      retryable: false,
      summary: `${head} (request refused as invalid: ${subCode}): not retried; check the settings, otherwise report it${said}`,
    };
  }
  if (code === 7) {
    const seconds = banSeconds(failure);
    // Without the ban's length (a reworded or translated sub_msg), a quick retry would only hit
    // the ban again: wait as if it said a minute, which stops the cycle cleanly if it has not.
    const waitSeconds = seconds ?? UNSTATED_BAN_SECONDS - 1;
    return {
      retryable: true,
      retryAfterMs: (waitSeconds + 1) * 1000,
      summary: `${head} (rate limited): calls resume after the ban${seconds === undefined ? ` (its length not stated; waiting ${UNSTATED_BAN_SECONDS} s)` : ` of ${seconds} s`}${said}`,
    };
  }
  if (code === 10) return { retryable: true, summary: `${head} (service temporarily unavailable): retryable${said}` };
  if (subCode?.startsWith('isp.'))
    return { retryable: true, summary: `${head} (platform-side error ${subCode}): retryable${said}` };
  return { retryable: false, summary: `${head} (not a known transient error): not retried; report it${said}` };
}

/** What the platform itself said, for the operator: ` [platform: msg; sub_code: sub_msg]`. */
function platformSaid(failure: { msg?: string; subCode?: string; subMsg?: string }): string {
  const sub = [failure.subCode, failure.subMsg].filter(nonEmpty).join(': ');
  const parts = [failure.msg, sub].filter(nonEmpty);
  return parts.length === 0 ? '' : ` [platform: ${parts.join('; ')}]`;
}

function nonEmpty(text: string | undefined): text is string {
  return text !== undefined && text !== '';
}

/** N from "This ban will last for N more seconds", in sub_msg or msg. */
function banSeconds(failure: { msg?: string; subMsg?: string }): number | undefined {
  for (const text of [failure.subMsg, failure.msg]) {
    const match = text === undefined ? null : BAN_SECONDS.exec(text);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

/** Every TOP failure: `retryable` says whether calling again can help, `retryAfterMs` when. */
export abstract class TopError extends LeadForwarderError {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  protected constructor(
    /** The API that was called. */
    readonly method: string,
    verdict: TopFailureVerdict,
    suffix = '',
    options?: { cause?: unknown },
  ) {
    super(`${method}: ${verdict.summary}${suffix}`, options);
    this.retryable = verdict.retryable;
    if (verdict.retryAfterMs !== undefined) this.retryAfterMs = verdict.retryAfterMs;
  }
}

/** The platform answered with `error_response`. */
export class TopApiError extends TopError {
  override readonly name: string = 'TopApiError';
  readonly code?: number;
  readonly msg?: string;
  readonly subCode?: string;
  readonly subMsg?: string;
  readonly requestId?: string;

  constructor(method: string, fields: { code?: number; msg?: string; subCode?: string; subMsg?: string; requestId?: string }) {
    super(method, classifyTopFailure({ kind: 'api-error', ...fields }), requestIdSuffix(fields.requestId));
    this.code = fields.code;
    this.msg = fields.msg;
    this.subCode = fields.subCode;
    this.subMsg = fields.subMsg;
    this.requestId = fields.requestId;
  }
}

/** The call never produced a TOP answer: network error, timeout, non-2xx status, a body that is not JSON. */
export class TopTransportError extends TopError {
  override readonly name: string = 'TopTransportError';
  /** The HTTP status, when there was a response. */
  readonly status?: number;

  constructor(
    method: string,
    failure: Extract<TopFailure, { kind: 'network' | 'http-status' | 'not-json' }>,
    options?: { cause?: unknown },
  ) {
    super(method, classifyTopFailure(failure), '', options);
    if (failure.kind !== 'network') this.status = failure.status;
  }
}

/** A 200 body with `result_ok: false`: the API itself says the call failed (maybe "system busy"). Retryable. */
export class TopResultError extends TopError {
  override readonly name: string = 'TopResultError';
  readonly resultErrorCode?: string;
  readonly errorMsg?: string;
  readonly requestId?: string;

  constructor(method: string, fields: { resultErrorCode?: string; errorMsg?: string; requestId?: string }) {
    super(method, classifyTopFailure({ kind: 'result-not-ok', ...fields }), requestIdSuffix(fields.requestId));
    this.resultErrorCode = fields.resultErrorCode;
    this.errorMsg = fields.errorMsg;
    this.requestId = fields.requestId;
  }
}

/** JSON that is neither an `error_response` nor the documented success shape. Not retryable. */
export class TopProtocolError extends TopError {
  override readonly name: string = 'TopProtocolError';
  constructor(method: string, detail: string) {
    super(method, classifyTopFailure({ kind: 'unexpected-body', detail }));
  }
}

/** Codes that refuse what the secrets hold: 25 (signature: the app secret), 26/27 (the session key). */
const SECRET_REFUSED_CODES = new Set([25, 26, 27]);

/** True when the gateway refused the app secret or the session key (so they may have been updated since). */
export function refusesSecrets(error: unknown): error is TopApiError {
  return error instanceof TopApiError && error.code !== undefined && SECRET_REFUSED_CODES.has(error.code);
}

/**
 * True when no retry can help until a person acts: 11 (permissions / IP whitelist), 26 and 27
 * (the merchant must (re-)authorize the app and TopSessionKey must be updated).
 */
export function isAuthorizationFailure(error: unknown): error is TopApiError {
  return error instanceof TopApiError && error.code !== undefined && AUTHORIZATION_CODES.has(error.code);
}

function requestIdSuffix(requestId: string | undefined): string {
  return requestId === undefined ? '' : ` (request_id ${requestId})`;
}
