import type { Lead } from '../domain/lead';
import type { Delivery } from './delivery';

/** The DESIGN §3 payload: what a `standard` endpoint receives and what every expression reads. */
export interface StandardPayload {
  type: 'lead.created';
  /** Only on a test send; a real lead has no `test` key at all. */
  test?: true;
  /** When the poller first saw the lead: the same on every retry. */
  timestamp: string;
  data: Lead;
}

/** `{"type":"lead.created","timestamp":…,"data":…}`, with `"test":true` after `type` for a test send. */
export function standardPayload(delivery: Delivery): StandardPayload {
  return delivery.test === true
    ? { type: 'lead.created', test: true, timestamp: delivery.seenAt, data: delivery.lead }
    : { type: 'lead.created', timestamp: delivery.seenAt, data: delivery.lead };
}
