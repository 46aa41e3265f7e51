import type { Endpoint, EndpointFormat } from '../../domain/settings';
import type { Delivery } from '../delivery';
import * as dingtalk from './dingtalk';
import * as feishu from './feishu';
import * as http from './http';
import * as standard from './standard';
import type { RenderedRequest, ResponseVerdict, WebhookFormat } from './types';
import * as wecom from './wecom';

export type { RenderedRequest, ResponseVerdict, WebhookFormat } from './types';

/** Every endpoint format by its config name; the `Record` makes a new format a compile error until it is wired here. */
export const FORMATS: Readonly<Record<EndpointFormat, WebhookFormat>> = { standard, wecom, dingtalk, feishu, http };

/** The request for `delivery` in `endpoint`'s format (pure; `now` is the send time). */
export function renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  return FORMATS[endpoint.format].renderRequest(endpoint, delivery, now);
}

/** The format's reading of a response, or undefined when the HTTP status alone decides. */
export function interpretResponse(format: EndpointFormat, status: number, bodyText: string): ResponseVerdict | undefined {
  return FORMATS[format].interpretResponse(status, bodyText);
}
