import type { Dispatcher } from 'undici';
import { LeadForwarderError } from '../../domain/errors';
import { isRecord } from '../../domain/is-record';
import type { EndpointAuth } from '../../domain/settings';
import { USER_AGENT } from '../formats/headers';
import { isValidHeaderValue } from '../header-value';
import { send } from '../sender';
import type { IssuedToken } from './token-cache';

/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4, rfc-editor.org/rfc/rfc6749#section-4.4):
 * POST to the token endpoint, `application/x-www-form-urlencoded` with `grant_type=client_credentials`,
 * the client id and secret in the body (§2.3.1 allows them there) and an optional `scope`; the
 * answer is JSON `{"access_token", "token_type", "expires_in"?}` (§5.1), an error `{"error"}`
 * with HTTP 400 or 401 (§5.2). Only bearer tokens (RFC 6750) are used.
 */

export type OAuth2Auth = Extract<EndpointAuth, { type: 'oauth2' }>;

/** Token answers can be long (JWTs with many claims); the webhook limit of 4 KB would cut some. */
export const TOKEN_RESPONSE_MAX_BYTES = 64 * 1024;

/**
 * No token: the token endpoint could not be reached or gave none. A delivery that needs it is
 * retried later. The message names the endpoint and what went wrong, never the token URL, the
 * client's credentials or anything the token endpoint said besides its RFC 6749 error code.
 */
export class TokenRequestError extends LeadForwarderError {
  override readonly name: string = 'TokenRequestError';
  readonly retryable = true;
}

/** A key for the cache: one token per token URL, client and scope. */
export function tokenKey(auth: OAuth2Auth): string {
  return JSON.stringify([auth.tokenUrl, auth.clientId, auth.scope ?? '']);
}

/** Asks the token endpoint for a token; `endpoint` (its name) goes into error messages. */
export async function requestToken(
  dispatcher: Dispatcher,
  auth: OAuth2Auth,
  opts: { timeoutMs: number; endpoint: string },
): Promise<IssuedToken> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: auth.clientId,
    client_secret: auth.clientSecret,
  });
  if (auth.scope !== undefined) form.set('scope', auth.scope);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
    accept: 'application/json',
    'user-agent': USER_AGENT,
  };
  const result = await send(
    dispatcher,
    { url: auth.tokenUrl, headers, body: form.toString() },
    opts.timeoutMs,
    TOKEN_RESPONSE_MAX_BYTES,
  );
  const where = `webhooks "${opts.endpoint}": no OAuth token`;
  if (result.kind === 'network')
    throw new TokenRequestError(
      `${where}: ${result.reason === 'timeout' ? 'the token endpoint timed out' : 'the token endpoint could not be reached'} (${result.message})`,
    );
  const answer = parseJson(result.body);
  if (result.status < 200 || result.status > 299) {
    throw new TokenRequestError(`${where}: the token endpoint answered HTTP ${result.status}${oauthError(answer)}`);
  }
  if (result.bodyIncomplete === true) throw new TokenRequestError(`${where}: the token endpoint's answer was cut short`);
  if (answer === undefined) throw new TokenRequestError(`${where}: the token endpoint's answer is not a JSON object`);
  const { access_token: value, token_type: type, expires_in: expiresIn } = answer;
  if (typeof value !== 'string' || value === '')
    throw new TokenRequestError(`${where}: the token endpoint's answer has no access_token`);
  if (!isValidHeaderValue(value))
    throw new TokenRequestError(`${where}: the access_token holds characters an HTTP header cannot carry`);
  // RFC 6749 §7.1: a client must not use a token whose type it does not understand.
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer'))
    throw new TokenRequestError(`${where}: the token is not a bearer token (token_type)`);
  return { value, expiresInSeconds: seconds(expiresIn) };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** ` (invalid_client)`: RFC 6749 §5.2 codes are short ASCII words, safe to show; anything else is not shown. */
function oauthError(answer: Record<string, unknown> | undefined): string {
  const code = answer?.error;
  return typeof code === 'string' && /^[a-z_]{1,40}$/i.test(code) ? ` (${code})` : '';
}

/** `expires_in` as a number of seconds; some servers send it as a string. Anything else: no expiry given. */
function seconds(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : undefined;
}
