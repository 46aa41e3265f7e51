import type { KeyObject } from 'node:crypto';
import { BigInteger } from 'node-forge/lib/jsbn';
import rsa from 'node-forge/lib/rsa';

/**
 * RSA PKCS#1 v1.5 decryption through node-forge, for the mobiles Node's `privateDecrypt` refuses
 * (mobile-decryptor.ts says why). Only node-forge's RSA and big-integer modules, not its index
 * (TLS, X.509, PKCS#12, …). A file of its own that mobile-decryptor.ts loads on the first
 * ciphertext that is not OAEP: the deployed forwarder gets it as a separate file beside its bundle
 * (infra/bundling.ts), so node-forge is neither loaded nor even parsed on a cold start.
 */

export type Pkcs1Decrypt = (ciphertext: Buffer) => Buffer;

/**
 * The decryption throws for a ciphertext the key does not open, and for every ciphertext when
 * node-forge cannot take the key; the caller treats any throw as "not decrypted".
 */
export function createPkcs1Decrypt(key: KeyObject): Pkcs1Decrypt {
  let forgeKey: ReturnType<typeof toForgeKey> | undefined;
  return (ciphertext) => {
    forgeKey ??= toForgeKey(key);
    return Buffer.from(forgeKey.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
  };
}

/** The key as node-forge's RSA module takes it, built from its JWK numbers. */
function toForgeKey(key: KeyObject): ReturnType<typeof rsa.setPrivateKey> {
  const jwk = key.export({ format: 'jwk' });
  const big = (field: string | undefined): InstanceType<typeof BigInteger> => {
    // Node exports every component of an RSA private key; a missing one fails this ciphertext only.
    if (field === undefined) throw new RangeError('the RSA private key lacks a component');
    return new BigInteger(Buffer.from(field, 'base64url').toString('hex'), 16);
  };
  return rsa.setPrivateKey(big(jwk.n), big(jwk.e), big(jwk.d), big(jwk.p), big(jwk.q), big(jwk.dp), big(jwk.dq), big(jwk.qi));
}
