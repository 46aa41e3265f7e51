import { normalizeLead, type Lead } from '../shared/domain/lead';
import { generateLeads } from '../local/simulators/alimama-gateway';
import { formatTopTimestamp } from '../shared/taobao/timestamp';
import type { Delivery } from '../shared/webhook/delivery';

/** A number in the range China reserves for examples and tests (not a subscriber's). */
export const TEST_MOBILE = '13800000000';

/**
 * A synthetic lead for `send-test-lead`: a realistic record from the simulator's generator,
 * mapped like a real one (so every format renders every field), stamped now, with a fresh id
 * (receivers that drop repeats by `webhook-id` still see the next test), and sent as a test
 * delivery: `"test": true` in the payload and a `test_` webhook id.
 */
export function testDelivery(now: Date = new Date()): Delivery {
  const [sample] = generateLeads(1, { startId: String(now.getTime()), seed: 'send-test-lead' });
  const at = now.getTime();
  const mapped = normalizeLead({ ...sample, lead_time: formatTopTimestamp(at), gmt_create: at, gmt_modified: at });
  if (!mapped.ok) throw new Error(`the test lead does not map: ${mapped.problem}`); // the generator's own output: a bug if it happens
  // The generator's mobile is made-up ciphertext, which no configured key opens: a card would then
  // say "encrypted, could not decrypt" and suggest a broken key. The test lead carries a
  // decrypted one instead, as a real lead does once the forwarder has decrypted it.
  const lead: Lead = { ...mapped.lead, mobile: TEST_MOBILE, mobile_encrypted: false };
  return { lead, seenAt: now.toISOString(), test: true };
}
