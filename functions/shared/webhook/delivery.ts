import type { Lead } from '../domain/lead';

/** One lead on its way to one endpoint: what every payload format renders. */
export interface Delivery {
  lead: Lead;
  /** When the poller first saw the lead (ISO-8601): the payload `timestamp`, the same on every retry. */
  seenAt: string;
  /** A test send (`status`/demo tooling): marked in the payload and never mistaken for a real lead. */
  test?: boolean;
  /**
   * Format `http`: the body its `body` expression made of this lead, encoded for its content
   * type. Set by prepareDelivery (prepare.ts), which evaluates the expressions before anything
   * is sent; rendering itself stays pure and synchronous.
   */
  body?: string;
  /** Connector formats: the record's fields (the `fields` expression's result or the default mapping), set by prepareDelivery. */
  fields?: Record<string, unknown>;
}

/**
 * The Standard Webhooks `webhook-id`: `lead_<id>`, the same on every retry so that receivers can
 * drop duplicates; a test send gets `test_<id>` so it can never be deduplicated against, or
 * suppress, the real lead with the same id.
 */
export function webhookIdOf(delivery: Delivery): string {
  return `${delivery.test === true ? 'test' : 'lead'}_${delivery.lead.id}`;
}
