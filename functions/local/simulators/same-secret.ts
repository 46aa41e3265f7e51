import { timingSafeEqual } from 'node:crypto';

/**
 * Whether `given` is exactly `expected`, compared in constant time, so the simulators do not
 * teach anyone to tolerate a timing oracle. (Only the length shows, as with the real services.)
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
