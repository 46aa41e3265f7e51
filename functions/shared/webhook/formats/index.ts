import { LeadForwarderError } from '../../domain/errors';
import { isConnectorFormat, type Endpoint, type WebhookFormatName } from '../../domain/settings';
import type { Delivery } from '../delivery';
import * as dingtalk from './dingtalk';
import * as feishu from './feishu';
import * as http from './http';
import * as standard from './standard';
import type { RenderedRequest, ResponseVerdict, WebhookFormat } from './types';
import * as wecom from './wecom';

export type { RenderedRequest, ResponseVerdict, WebhookFormat } from './types';

/** Every endpoint format by its config name; the `Record` makes a new format a compile error until it is wired here. */
export const FORMATS: Readonly<Record<WebhookFormatName, WebhookFormat>> = { standard, wecom, dingtalk, feishu, http };

/** The request for `delivery` in `endpoint`'s format (pure; `now` is the send time). */
export function renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  const format = endpoint.format;
  // A connector's requests need its token first: they are made by connectors/send.ts.
  if (isConnectorFormat(format))
    throw new NotAWebhookFormatError(`webhooks "${endpoint.name}" is a ${format} connector, not a webhook format`);
  return FORMATS[format].renderRequest(endpoint, delivery, now);
}

/** A connector endpoint handed to the webhook renderer: a wiring bug, never the lead's fault. */
export class NotAWebhookFormatError extends LeadForwarderError {
  override readonly name: string = 'NotAWebhookFormatError';
}

/** The format's reading of a response, or undefined when the HTTP status alone decides. */
export function interpretResponse(format: WebhookFormatName, status: number, bodyText: string): ResponseVerdict | undefined {
  return FORMATS[format].interpretResponse(status, bodyText);
}
