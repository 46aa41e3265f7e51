/**
 * Lead ids are integers that may exceed 2^53, so they travel as decimal strings and are
 * compared as BigInt: never through `Number`.
 */
export type LeadId = string;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** True when `value` is a canonical non-negative decimal integer string (no sign, no leading zeros). */
export function isLeadId(value: unknown): value is LeadId {
  return typeof value === 'string' && value.length <= 40 && DECIMAL.test(value);
}

/** Negative, zero or positive as a is below, equal to or above b. */
export function compareIds(a: LeadId, b: LeadId): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxId(a: LeadId, b: LeadId): LeadId {
  return compareIds(a, b) >= 0 ? a : b;
}
