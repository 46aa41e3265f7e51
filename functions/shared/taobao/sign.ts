import { createHash, createHmac } from 'node:crypto';
import type { SignMethod } from '../domain/settings';

/**
 * TOP request signing (DESIGN §1). Pure: the client signs with it and the simulated gateway
 * verifies with it, and a published vector pins it down in the unit tests.
 */

/** Request parameters as sent: object parameters are already their JSON text. */
export type TopParams = Readonly<Record<string, string | undefined>>;

/**
 * True for values the platform leaves out of the signature. The client does not send them
 * either, so what is signed and what is sent can never disagree.
 */
export function isEmptyParam(value: string | undefined): value is undefined | '' {
  return value === undefined || value === '';
}

/**
 * The text that is signed: every parameter except `sign` and empty values, keys sorted by
 * UTF-16 code unit (not locale), joined `k1v1k2v2…` with no separators and no URL-encoding.
 */
export function signingString(params: TopParams): string {
  const keys = Object.keys(params).filter((key) => key !== 'sign' && !isEmptyParam(params[key]));
  // Plain `<` compares code units; localeCompare would put 'a' before 'B' and break signatures.
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((key) => `${key}${params[key] ?? ''}`).join('');
}

/**
 * The `sign` parameter for `params` (uppercase hex). `md5` = MD5(secret + text + secret),
 * `hmac` = HMAC-MD5 keyed by the secret, `hmac-sha256` = HMAC-SHA256 keyed by the secret;
 * text and secret are encoded as UTF-8.
 */
export function signTopRequest(params: TopParams, secret: string, method: SignMethod): string {
  const text = signingString(params);
  switch (method) {
    case 'md5':
      return createHash('md5').update(secret, 'utf8').update(text, 'utf8').update(secret, 'utf8').digest('hex').toUpperCase();
    case 'hmac':
      return createHmac('md5', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex').toUpperCase();
    case 'hmac-sha256':
      return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex').toUpperCase();
  }
}
