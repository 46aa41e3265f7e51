import type { Endpoint } from '../../domain/settings';
import { webhookIdOf, type Delivery } from '../delivery';
import { sign } from '../signature';
import { standardPayload } from '../standard-payload';
import { requestHeaders } from './headers';
import type { RenderedRequest, ResponseVerdict } from './types';

/**
 * The `standard` format: the DESIGN §3 JSON, with Standard Webhooks headers
 * (spec/standard-webhooks.md in github.com/standard-webhooks/standard-webhooks).
 */

/**
 * `{"type":"lead.created","timestamp":<seenAt>,"data":<lead>}`, plus `"test":true` for a test
 * send. The body is serialized once and that exact string is signed, so a receiver that
 * verifies the raw body always matches. `webhook-id` is stable across retries; `webhook-timestamp`
 * is `now` (send time); `webhook-signature` carries one `v1` signature per secret and is absent
 * when the endpoint has none.
 */
export function renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  const body = JSON.stringify(standardPayload(delivery));
  const id = webhookIdOf(delivery);
  const timestamp = Math.floor(now.getTime() / 1000);
  const own: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  if (endpoint.secrets.length > 0) own['webhook-signature'] = sign(id, timestamp, body, endpoint.secrets);
  return { url: endpoint.url, headers: requestHeaders(endpoint, own), body };
}

/** A CRM speaks HTTP: its status line alone decides (DESIGN §3). */
export function interpretResponse(_status: number, _bodyText: string): ResponseVerdict | undefined {
  return undefined;
}
