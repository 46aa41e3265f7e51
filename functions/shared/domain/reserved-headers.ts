/**
 * Header names only the forwarder sets (DESIGN §3): the body's framing, the sender's name and
 * the Standard Webhooks headers. Config validation refuses them in an endpoint's `headers`, and
 * the request builder drops them from hand-built endpoints too, so an unsigned endpoint can
 * never carry a forged `webhook-signature`.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);
