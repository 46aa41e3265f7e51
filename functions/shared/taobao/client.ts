import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from '../domain/errors';
import { isRecord } from '../domain/is-record';
import type { SignMethod, TopSettings } from '../domain/settings';
import { parseJsonKeepingBigInts } from './json';
import { isEmptyParam, signTopRequest } from './sign';
import { TopApiError, TopError, TopProtocolError, TopResultError, TopTransportError } from './errors';
import { formatTopTimestamp } from './timestamp';
import { postForm, type FormPostResponse } from './transport';

/**
 * A client for the TOP gateway (DESIGN §1): signs and POSTs one API call, turns the answer into
 * either the success payload or a TopError, and retries what the table in ./errors says may be
 * retried, never past the caller's deadline. The secret and the session never leave this
 * object except inside the signed request itself: no log line or error message carries them.
 */

/** API parameters. An object parameter is passed as its JSON text, which is signed and sent byte for byte. */
export type TopApiParams = Readonly<Record<string, string | number | boolean | undefined>>;

export interface TopCallOptions {
  /** Epoch ms (on the client's clock) by which the call, retries and waits included, must be over. */
  deadline: number;
}

export interface TopSuccess {
  /** The response object: the content of `<api>_response`, or the root with `simplify=true`. */
  body: Record<string, unknown>;
  requestId?: string;
  /** How many HTTP requests it took (1 when nothing was retried). */
  attempts: number;
}

/** The port that API adapters (TopLeadSource) depend on. */
export interface TopCaller {
  call(method: string, params: TopApiParams, options: TopCallOptions): Promise<TopSuccess>;
}

export interface TopRetryEvent {
  method: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: TopError;
}

export interface TopClientOptions {
  appKey: string;
  appSecret: string;
  sessionKey: string;
  gatewayUrl: string;
  /** Default `hmac-sha256`. */
  signMethod?: SignMethod;
  /** Ask for `simplify=true` (fields at the root). Both shapes are parsed either way. */
  simplify?: boolean;
  partnerId?: string;
  /** Upper bound of one HTTP request (further capped by the deadline). Default 15 s. */
  requestTimeoutMs?: number;
  /** Requests per call, first included. Default 4. */
  maxAttempts?: number;
  /** Backoff: the n-th retry waits random(0, min(backoffMaxMs, backoffBaseMs·2^(n-1))). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A retry is only scheduled if at least this much time remains after its wait. Default 1 s. */
  minAttemptMs?: number;
  /** Bodies larger than this are refused (a lead page is ~100 KB). Default 8 MiB. */
  maxResponseBytes?: number;
  /** Clock for timestamps, deadlines and waits; injectable for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each retry wait; the error message carries no secret. */
  onRetry?: (event: TopRetryEvent) => void;
}

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded;charset=utf-8';
const SYSTEM_PARAMS = new Set([
  'method',
  'app_key',
  'session',
  'timestamp',
  'v',
  'format',
  'sign_method',
  'sign',
  'simplify',
  'partner_id',
]);

export class TopClient implements TopCaller {
  private readonly signMethod: SignMethod;
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly minAttemptMs: number;
  private readonly maxResponseBytes: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  private readonly gatewayUrl: URL;

  /**
   * Builds the client. Requests go through node:http(s) (./transport): nothing to bundle, and
   * the global agents keep connections alive across the pages of a scan.
   */
  constructor(private readonly options: TopClientOptions) {
    this.gatewayUrl = new URL(options.gatewayUrl);
    this.signMethod = options.signMethod ?? 'hmac-sha256';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.backoffMaxMs = options.backoffMaxMs ?? 4_000;
    this.minAttemptMs = options.minAttemptMs ?? 1_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
    this.random = options.random ?? Math.random;
  }

  /** A client from validated settings (DESIGN §4); `extra` adds pool, retry and test options. */
  static fromSettings(
    settings: TopSettings,
    extra: Omit<TopClientOptions, 'appKey' | 'appSecret' | 'sessionKey' | 'gatewayUrl' | 'signMethod'> = {},
  ): TopClient {
    const { appKey, appSecret, sessionKey, gatewayUrl, signMethod } = settings;
    return new TopClient({ ...extra, appKey, appSecret, sessionKey, gatewayUrl, signMethod });
  }

  /**
   * Calls `method` and resolves with its success payload. Retryable failures are retried with
   * exponential backoff and full jitter while the deadline allows; a rate limit (code 7) is
   * waited out (N+1 s) only if the deadline allows, otherwise its TopApiError (retryable, with
   * `retryAfterMs`) is thrown at once so the caller can stop and keep its state. Rejects with a
   * TopError; a permanent one after exactly one request.
   */
  async call(method: string, params: TopApiParams, options: TopCallOptions): Promise<TopSuccess> {
    const apiParams = stringParams(params);
    for (let attempt = 1; ; attempt += 1) {
      const remaining = options.deadline - this.now();
      if (remaining <= 0) {
        throw new TopTransportError(method, { kind: 'network', detail: 'no time left before the deadline; nothing was sent' });
      }
      try {
        const success = await this.attempt(method, apiParams, Math.min(this.requestTimeoutMs, remaining));
        return { ...success, attempts: attempt };
      } catch (error) {
        if (!(error instanceof TopError) || !error.retryable || attempt >= this.maxAttempts) throw error;
        const delayMs = error.retryAfterMs ?? this.backoff(attempt);
        if (this.now() + delayMs + this.minAttemptMs > options.deadline) throw error;
        this.options.onRetry?.({ method, attempt, delayMs, error });
        await this.sleep(delayMs);
      }
    }
  }

  private backoff(failedAttempt: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (failedAttempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async attempt(
    method: string,
    apiParams: Record<string, string>,
    timeoutMs: number,
  ): Promise<Omit<TopSuccess, 'attempts'>> {
    const form = new URLSearchParams(this.signedParams(method, apiParams)).toString();
    let response: FormPostResponse;
    try {
      response = await postForm(this.gatewayUrl, form, FORM_CONTENT_TYPE, { timeoutMs, maxResponseBytes: this.maxResponseBytes });
    } catch (error) {
      throw new TopTransportError(method, { kind: 'network', detail: networkDetail(error, timeoutMs) }, { cause: error });
    }
    return interpretResponse(method, response, this.options.simplify === true);
  }

  /** System and API parameters with a fresh timestamp and the signature; empty values dropped. */
  private signedParams(method: string, apiParams: Record<string, string>): Record<string, string> {
    const { appKey, appSecret, sessionKey, simplify, partnerId } = this.options;
    const all: Record<string, string | undefined> = {
      ...apiParams,
      method,
      app_key: appKey,
      session: sessionKey,
      timestamp: formatTopTimestamp(this.now()),
      v: '2.0',
      format: 'json',
      sign_method: this.signMethod,
      simplify: simplify === true ? 'true' : undefined,
      partner_id: partnerId,
    };
    const sent: Record<string, string> = {};
    for (const [key, value] of Object.entries(all)) if (!isEmptyParam(value)) sent[key] = value;
    sent.sign = signTopRequest(sent, appSecret, this.signMethod);
    return sent;
  }
}

/** The response object name: `taobao.mama.crm.lead.list` → `mama_crm_lead_list_response`. */
export function responseKey(method: string): string {
  return `${method.replace(/^taobao\./, '').replace(/\./g, '_')}_response`;
}

/**
 * Maps one HTTP answer to the success payload or throws: non-2xx and non-JSON bodies are
 * transport errors, `error_response` a TopApiError, `result_ok: false` a TopResultError, any
 * other JSON without the expected object a TopProtocolError (never read as an empty success,
 * which could end a scan early).
 */
export function interpretResponse(
  method: string,
  response: { status: number; location?: string; text: string },
  simplify: boolean,
): Omit<TopSuccess, 'attempts'> {
  const { status, text } = response;
  if (status < 200 || status >= 300) {
    throw new TopTransportError(method, { kind: 'http-status', status, location: response.location });
  }
  let json: unknown;
  try {
    json = parseJsonKeepingBigInts(text);
  } catch {
    throw new TopTransportError(method, { kind: 'not-json', status, snippet: snippet(text) });
  }
  if (!isRecord(json)) throw new TopProtocolError(method, `the body is JSON but not an object (${snippet(text)})`);
  if (json.error_response !== undefined) {
    const error = json.error_response;
    if (!isRecord(error)) throw new TopProtocolError(method, 'error_response is not an object');
    throw new TopApiError(method, {
      code: codeOf(error.code),
      msg: textOf(error.msg),
      subCode: textOf(error.sub_code),
      subMsg: textOf(error.sub_msg),
      requestId: textOf(error.request_id),
    });
  }
  const key = responseKey(method);
  const wrapped = json[key];
  let body: Record<string, unknown>;
  if (isRecord(wrapped)) body = wrapped;
  else if (wrapped === undefined && simplify) body = json;
  else throw new TopProtocolError(method, `no "${key}" object in the response`);
  const requestId = textOf(body.request_id) ?? textOf(json.request_id);
  if (body.result_ok === false || body.result_ok === 'false') {
    throw new TopResultError(method, {
      resultErrorCode: textOf(body.result_error_code),
      errorMsg: textOf(body.error_msg),
      requestId,
    });
  }
  return { body, requestId };
}

function stringParams(params: TopApiParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    // A caller's `session` or `sign` would silently replace ours and fail obscurely at the gateway.
    if (SYSTEM_PARAMS.has(key)) throw new TypeError(`"${key}" is a TOP system parameter; the client sets it`);
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

function networkDetail(error: unknown, timeoutMs: number): string {
  // Duck-typed: a timeout's AbortError wraps a DOMException, for which `instanceof Error` has
  // not always held.
  if (typeof error !== 'object' || error === null) return String(error);
  const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
  const message = 'message' in error && typeof error.message === 'string' ? error.message : 'no message';
  if (/timeout|abort/i.test(name)) return `timed out after ${timeoutMs} ms`;
  const code = errorCode(error) ?? name;
  return `${code}: ${message}`;
}

/**
 * What an unreadable body looked like, for the error message (which is logged). An HTML or text
 * page from a proxy is quoted, which says what answered; anything that looks like JSON is not:
 * a page of leads cut short would put names and phone numbers into the logs.
 */
function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return 'empty body';
  if (flat.startsWith('{') || flat.startsWith('['))
    return `${Buffer.byteLength(text, 'utf8')} bytes of JSON-like text, not quoted: it may hold lead data`;
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function codeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
