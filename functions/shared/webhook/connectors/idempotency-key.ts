import { createHash } from 'node:crypto';

/**
 * A UUID (RFC 9562 layout, version 4 bits) derived from the endpoint's name and the webhook id:
 * the same (lead, endpoint) gives the same key on every retry, so a vendor that deduplicates by
 * key (Bitable's `client_token`) makes one record however often the lead is re-sent. Derived
 * rather than random because the forwarder keeps no state between a send and its ledger write.
 * Formatted as version 4 because the vendors that take one check the format, not the origin.
 */
export function idempotencyUuid(endpointName: string, webhookId: string): string {
  const bytes = createHash('sha256').update(`${endpointName}\n${webhookId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
