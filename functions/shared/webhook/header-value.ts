/**
 * What an HTTP header value may hold here: RFC 9110's field-value without obs-text, i.e.
 * visible ASCII, space and tab. undici refuses anything else (a line break, NUL, Chinese text)
 * on every request, and past a pool's size such refusals leave it answering nothing, so the
 * configuration refuses them at start and the sender never hands one to the pool.
 */
const HEADER_VALUE = /^[\t\x20-\x7E]*$/;

export function isValidHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}
