import { LeadForwarderError } from '../../domain/errors';
import { isRecord } from '../../domain/is-record';
import type { Endpoint, HttpContentType } from '../../domain/settings';
import { webhookIdOf, type Delivery } from '../delivery';
import { sign } from '../signature';
import { standardPayload } from '../standard-payload';
import { FORM_CONTENT_TYPE, formEncode } from './form-body';
import { requestHeaders } from './headers';
import type { RenderedRequest, ResponseVerdict } from './types';

/**
 * `http`: a request of the operator's own shape, for any HTTP API (DESIGN §7): `method`, the
 * `body` expression's result (the Standard payload without one) as JSON or as a form, the
 * Standard Webhooks headers (signed over the body as sent when the endpoint has a secret), and
 * the answer read by its status like `standard`. `auth` is added at send time (auth/).
 */

/** A body expression evaluated but not turned into a body: a wiring bug, never the lead's fault. */
export class UnpreparedDeliveryError extends LeadForwarderError {
  override readonly name: string = 'UnpreparedDeliveryError';
}

export type EncodedBody = { ok: true; text: string } | { ok: false; problem: string };

/** The body text of `value` for `contentType`, or why it cannot be one (no value; a form of something other than an object). */
export function encodeHttpBody(value: unknown, contentType: HttpContentType): EncodedBody {
  if (value === undefined) return { ok: false, problem: 'yielded nothing (a path that matches no field?)' };
  if (contentType === 'json') return { ok: true, text: JSON.stringify(value) };
  if (!isRecord(value))
    return {
      ok: false,
      problem: `must yield an object for contentType "form", not ${Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`}`,
    };
  return { ok: true, text: formEncode(value) };
}

export function renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  const contentType = endpoint.contentType ?? 'json';
  const body = endpoint.body === undefined ? standardBody(delivery, contentType) : delivery.body;
  if (body === undefined)
    throw new UnpreparedDeliveryError(
      `webhooks "${endpoint.name}" has a body expression, but the delivery was not prepared (prepareDelivery) before rendering`,
    );
  const id = webhookIdOf(delivery);
  const timestamp = Math.floor(now.getTime() / 1000);
  const own: Record<string, string> = {
    'content-type': contentType === 'json' ? 'application/json' : FORM_CONTENT_TYPE,
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
  };
  if (endpoint.secrets.length > 0) own['webhook-signature'] = sign(id, timestamp, body, endpoint.secrets);
  return { url: endpoint.url, method: endpoint.method ?? 'POST', headers: requestHeaders(endpoint, own), body };
}

/** Like `standard`: the HTTP status alone decides (DESIGN §3). */
export function interpretResponse(_status: number, _bodyText: string): ResponseVerdict | undefined {
  return undefined;
}

function standardBody(delivery: Delivery, contentType: HttpContentType): string {
  const encoded = encodeHttpBody(standardPayload(delivery), contentType);
  // The Standard payload is an object, which both content types encode.
  if (!encoded.ok) throw new UnpreparedDeliveryError(`the Standard payload cannot be encoded: ${encoded.problem}`);
  return encoded.text;
}
