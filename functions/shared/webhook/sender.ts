import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
// undici's index would also load (and bundle) fetch, WebSocket, the cache and the mock agent:
// twice the forwarder's code and about 70 ms of its cold start. The Agent and the request API
// are all a webhook POST needs. test/infra/bundle.test.ts runs the bundle that results.
import Agent from 'undici/lib/dispatcher/agent';
import apiRequest from 'undici/lib/api/api-request';
import type { RenderedRequest } from './formats/types';
import { errorCode } from '../domain/errors';
import { isValidHeaderValue } from './header-value';

/**
 * The HTTP transport for webhook deliveries and OAuth token requests: one request, one result,
 * never an exception. What the result means (delivered, retry, …) is decided elsewhere
 * (outcome.ts), so this stays small.
 */

/** Enough of a response body to explain a refusal or read a chat robot's reply code. */
export const MAX_RESPONSE_BODY_BYTES = 4096;
/** Concurrent sockets per origin: one SQS batch (≤ 10 records) can go to one endpoint at once. */
export const CONNECTIONS_PER_ORIGIN = 10;
/** Idle sockets are kept this long for the next lead; servers' own keep-alive hints can shorten it. */
export const KEEP_ALIVE_TIMEOUT_MS = 10_000;
export const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;

export type SendResult =
  /** `bodyIncomplete`: the body stalled past the timeout or broke off; `body` is what arrived. */
  | { kind: 'response'; status: number; retryAfter?: string; body: string; bodyIncomplete?: boolean; latencyMs: number }
  | { kind: 'network'; reason: 'timeout' | 'connection'; message: string; latencyMs: number };

/**
 * The connection pool for a container: create it once at module scope and pass it to every
 * `send`. Keep-alive reuses sockets across sequential leads; pipelining stays at 1 because one
 * slow receiver must not hold back requests queued behind it, and many servers mishandle it.
 * undici 7 follows no redirects unless a redirect interceptor is composed in, and none is.
 */
export function createDispatcher(): Dispatcher {
  return new Agent({
    connections: CONNECTIONS_PER_ORIGIN,
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
  });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Sends `req` (POST unless it names its method) and reports what happened. Guarantees: resolves
 * (never rejects); `timeoutMs` bounds the whole exchange, connect + headers + body; a 3xx comes
 * back as a response and is not followed; at most `maxBodyBytes` of the body are kept (a longer
 * body is cut off and its socket closed). Once the status line has arrived it is the answer
 * (DESIGN §3: "2xx = delivered"): a body that then stalls past the timeout or breaks off is
 * reported with what arrived and `bodyIncomplete`, not as a network error. Messages never
 * include the URL, which often carries the endpoint's key.
 */
export async function send(
  dispatcher: Dispatcher,
  req: RenderedRequest,
  timeoutMs: number,
  maxBodyBytes = MAX_RESPONSE_BODY_BYTES,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const unsendable = Object.entries(req.headers).find(([, value]) => !isValidHeaderValue(value));
  if (unsendable !== undefined) {
    // Never reaches the pool: undici would refuse it, and enough refusals wedge the pool.
    return {
      kind: 'network',
      reason: 'connection',
      message: `header ${unsendable[0]} has a value HTTP cannot carry; nothing was sent`,
      latencyMs: elapsed(),
    };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  // The wait for the status line holds to the budget even if the pool does not honour the abort
  // (the body is then bounded by bodyTimeout). A response that still comes later is destroyed,
  // closing its socket rather than leaving it stuck with an unread body.
  const abandoned = new Promise<never>((_resolve, reject) =>
    controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
  );
  abandoned.catch(() => undefined);
  try {
    const url = new URL(req.url);
    const pending = apiRequest.call(dispatcher, {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method ?? 'POST',
      headers: req.headers,
      // A GET carries no body (connectors' probes and look-ups).
      body: req.method === 'GET' ? undefined : req.body,
      signal: controller.signal,
      // Backstops in case the abort is late; the signal is what enforces the total budget.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const response = await Promise.race([pending, abandoned]).catch((error: unknown) => {
      pending.then(
        (late) => late.body.destroy(),
        () => undefined,
      );
      throw error;
    });
    const { body, complete } = await readHead(response.body, maxBodyBytes);
    const latencyMs = elapsed();
    // undici hands a finished keep-alive socket back to the pool one event-loop turn later
    // (setImmediate, so it can notice a FIN the server sent meanwhile). Yielding that turn here
    // lets the caller's next send reuse the socket instead of opening, and TLS-handshaking, another.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Feishu's gateway states its wait in its own header (seconds until the limit resets).
    const retryAfter = firstHeader(response.headers['retry-after']) ?? firstHeader(response.headers['x-ogw-ratelimit-reset']);
    const result: SendResult = {
      kind: 'response',
      status: response.statusCode,
      body,
      latencyMs,
      ...(complete ? {} : { bodyIncomplete: true }),
    };
    return retryAfter === undefined ? result : { ...result, retryAfter };
  } catch (error) {
    const timedOut = controller.signal.aborted || TIMEOUT_CODES.has(errorCode(error) ?? '');
    return {
      kind: 'network',
      reason: timedOut ? 'timeout' : 'connection',
      message: timedOut ? `no complete response within ${timeoutMs} ms` : describe(error),
      latencyMs: elapsed(),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The first `maxBytes` of a body; `complete` is false when it stalled (aborted) or broke off first. */
async function readHead(body: AsyncIterable<unknown>, maxBytes: number): Promise<{ body: string; complete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = true;
  try {
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(bytes.subarray(0, maxBytes - size));
      size += Math.min(bytes.length, maxBytes - size);
      // Leaving the loop destroys the stream: the rest of a huge body is never downloaded.
      if (size >= maxBytes) break;
    }
  } catch {
    complete = false;
  }
  return { body: Buffer.concat(chunks).toString('utf8'), complete };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${code === undefined ? '' : `${code}: `}${message}${cause}`;
}
