import type { EndpointAuth } from '../../domain/settings';
import type { RenderedRequest } from '../formats/types';

/** `Authorization` values of the credentials that do not change (RFC 6750 §2.1, RFC 7617 §2). */
export function staticAuthorization(auth: Exclude<EndpointAuth, { type: 'oauth2' }>): string {
  if (auth.type === 'bearer') return `Bearer ${auth.token}`;
  // RFC 7617 §2.1: UTF-8 is the charset a server may announce; it is what every client sends now.
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

/** `request` with its Authorization header set (the renderers never set one). */
export function withAuthorization(request: RenderedRequest, value: string): RenderedRequest {
  return { ...request, headers: { ...request.headers, authorization: value } };
}

/** What `check` shows instead of the header: the scheme, never the credential. */
export function maskedAuthorization(auth: EndpointAuth): string {
  return auth.type === 'basic' ? 'Basic ****' : 'Bearer ****';
}
