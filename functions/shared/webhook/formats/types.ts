import type { Endpoint, HttpMethod } from '../../domain/settings';
import type { Delivery } from '../delivery';

/** An HTTP request ready to send: the sender adds nothing but transport (and, for `auth`, its header). */
export interface RenderedRequest {
  url: string;
  /** POST unless said otherwise (format `http` may PUT or PATCH; a connector's probe may GET, with an empty body). */
  method?: HttpMethod | 'GET';
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * What a format reads in a response beyond its status line. Chat bots answer HTTP 200 with an
 * error code in the JSON body, so for them the body decides; `undefined` means "no opinion":
 * the HTTP status rules of DESIGN §3 apply. The words are those of the forwarder's Outcome
 * (forwarder/ports.ts), which reads this verdict; 410 (`gone`) is always the status's to say.
 */
export type ResponseVerdict =
  | { outcome: 'delivered' }
  | { outcome: 'retry'; reason: string; retryAfterSeconds?: number }
  | { outcome: 'rejected'; reason: string };

/** One payload format: how a delivery becomes a request, and how its answers are read. */
export interface WebhookFormat {
  /** Pure: the same endpoint, delivery and `now` give the same request. */
  renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest;
  interpretResponse(status: number, bodyText: string): ResponseVerdict | undefined;
}
