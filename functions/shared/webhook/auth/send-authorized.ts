import type { Dispatcher } from 'undici';
import type { Endpoint } from '../../domain/settings';
import type { RenderedRequest } from '../formats/types';
import { send, type SendResult } from '../sender';
import { staticAuthorization, withAuthorization } from './authorization';
import { requestToken, tokenKey } from './oauth2-token';
import { processTokenCache, type TokenCache } from './token-cache';

/**
 * Sends a rendered request with the endpoint's `auth` (DESIGN §7). With OAuth 2.0, a 401 means
 * the token was refused before its time (revoked, or the server's clock differs): the token is
 * dropped, a new one fetched and the request tried once more; what that second attempt gets is
 * the answer, read by the usual rules. Resolves like `send`, except that it throws
 * TokenRequestError (retryable) when no token can be had.
 */
export async function sendAuthorized(
  dispatcher: Dispatcher,
  endpoint: Endpoint,
  request: RenderedRequest,
  tokens: TokenCache = processTokenCache,
): Promise<SendResult> {
  const auth = endpoint.auth;
  if (auth === undefined) return send(dispatcher, request, endpoint.timeoutMs);
  if (auth.type !== 'oauth2') return send(dispatcher, withAuthorization(request, staticAuthorization(auth)), endpoint.timeoutMs);

  const key = tokenKey(auth);
  const fetch = () => requestToken(dispatcher, auth, { timeoutMs: endpoint.timeoutMs, endpoint: endpoint.name });
  const token = await tokens.get(key, fetch);
  const first = await send(dispatcher, withAuthorization(request, `Bearer ${token}`), endpoint.timeoutMs);
  if (first.kind !== 'response' || first.status !== 401) return first;
  tokens.invalidate(key, token);
  // The same request, signature and webhook-timestamp included: only the credential changes.
  return send(dispatcher, withAuthorization(request, `Bearer ${await tokens.get(key, fetch)}`), endpoint.timeoutMs);
}
