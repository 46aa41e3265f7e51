/**
 * What an HTTP header value may hold here: RFC 9110's field-value without obs-text, i.e.
 * visible ASCII, space and tab. undici refuses a line break, NUL or Chinese text on every
 * request, and past a pool's size such refusals leave it answering nothing; it lets Latin-1
 * (obs-text) through, which receivers read inconsistently, so that is refused too. The
 * configuration refuses such values at start and the sender never hands one to the pool.
 */
const HEADER_VALUE = /^[\t\x20-\x7E]*$/;

export function isValidHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}
