import { constants, privateDecrypt, type KeyObject } from 'node:crypto';
import type { Pkcs1Decrypt } from './rsa-pkcs1';
import { loadKey } from './private-key';

export { PrivateKeyError, validatePrivateKey } from './private-key';

/**
 * Decryption of the RSA-encrypted `mobile` (DESIGN §5, §6): RSA-OAEP with SHA-1 first (Node's OAEP
 * default; Java's plain "RSA" cipher is PKCS#1 v1.5, hence the fallback), then PKCS#1 v1.5. Node 20+ refuses PKCS#1 v1.5 in `privateDecrypt` (the Marvin
 * attack fix), so that padding goes through node-forge. The timing side channel that motivated
 * Node's refusal needs an attacker who can submit chosen ciphertexts and time our answers; ours
 * come only from the Alimama API, and a failure changes nothing an outsider can observe.
 *
 * Nothing here logs, and no error carries the key or a plaintext.
 */

export type MobileDecryptor = (ciphertextBase64: string) => string | undefined;

// Standard or URL-safe alphabet (Node decodes both); line breaks are removed first, since MIME
// encoders (Java's getMimeEncoder, OpenSSL) wrap base64 every 64 or 76 characters.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** A real mobile number (with country code, separators, an extension) is far shorter than this. */
const MAX_PLAINTEXT_CHARS = 64;
// Random bytes that slip through PKCS#1 v1.5 unpadding with a wrong key are rarely clean text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffd]/;

/**
 * Parses the key once (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY` PEM; literal `\n` escapes
 * and a PEM flattened onto one line, as pasted into a stack parameter, are accepted) and returns a
 * decryptor. Throws PrivateKeyError for anything else. The decryptor returns the plaintext, or
 * undefined when the input is not base64 of the key's size, neither padding opens it (wrong key,
 * garbage), or what comes out is not a line of text. It throws only when node-forge's module
 * cannot be loaded (a broken deployment, see pkcs1Decryptor).
 */
export function createMobileDecryptor(pem: string): MobileDecryptor {
  const { key, sizeBytes } = loadKey(pem);
  const decryptPkcs1 = pkcs1Decryptor(key);
  return (ciphertextBase64) => {
    const text = ciphertextBase64.replace(/\s+/g, '');
    if (!BASE64.test(text)) return undefined;
    const ciphertext = Buffer.from(text, 'base64');
    if (ciphertext.length !== sizeBytes) return undefined;
    return plausible(decryptOaep(key, ciphertext) ?? decryptPkcs1(ciphertext));
  };
}

function pkcs1Decryptor(key: KeyObject): (ciphertext: Buffer) => Buffer | undefined {
  let decrypt: Pkcs1Decrypt | undefined;
  return (ciphertext) => {
    // Outside the try: a forwarder deployed without the module is broken, not a wrong key, and
    // must fail its batch loudly rather than send every mobile out still encrypted.
    decrypt ??= loadPkcs1(key);
    try {
      return decrypt(ciphertext);
    } catch {
      return undefined;
    }
  };
}

/** node-forge, loaded on the first ciphertext that is not OAEP (rsa-pkcs1.ts says why it is a file of its own). */
function loadPkcs1(key: KeyObject): Pkcs1Decrypt {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: see above
  const { createPkcs1Decrypt } = require('./rsa-pkcs1') as typeof import('./rsa-pkcs1');
  return createPkcs1Decrypt(key);
}

function decryptOaep(key: KeyObject, ciphertext: Buffer): Buffer | undefined {
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ciphertext);
  } catch {
    return undefined;
  }
}

function plausible(plaintext: Buffer | undefined): string | undefined {
  if (plaintext === undefined || plaintext.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    return undefined;
  }
  return text.length <= MAX_PLAINTEXT_CHARS && !CONTROL.test(text) ? text : undefined;
}
