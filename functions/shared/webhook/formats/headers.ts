import { RESERVED_HEADERS } from '../../domain/reserved-headers';
import type { Endpoint } from '../../domain/settings';
import { version } from '../../../../package.json';

/** Sent on every request so a receiver's logs name the sender and its version. */
export const USER_AGENT = `alimama-lead-forwarder/${version}`;

/** The endpoint's custom headers (lower-cased), then the forwarder's own on top. */
export function requestHeaders(endpoint: Pick<Endpoint, 'headers'>, own: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(endpoint.headers)) {
    const key = name.toLowerCase();
    // Dropped even when the forwarder does not send the header itself (see RESERVED_HEADERS).
    if (!RESERVED_HEADERS.has(key)) headers[key] = value;
  }
  const fixed: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...own };
  for (const [name, value] of Object.entries(fixed)) headers[name.toLowerCase()] = value;
  return headers;
}
