import { constants, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { LeadForwarderError } from './errors';

/**
 * Decryption of the RSA-encrypted `mobile` (DESIGN §5, §6): RSA-OAEP with SHA-1 first (Java's and
 * Node's default), then PKCS#1 v1.5. Node 20+ refuses PKCS#1 v1.5 in `privateDecrypt` (the Marvin
 * attack fix), so that padding goes through node-forge. The timing side channel that motivated
 * Node's refusal needs an attacker who can submit chosen ciphertexts and time our answers; ours
 * come only from the Alimama API, and a failure changes nothing an outsider can observe.
 *
 * Nothing here logs, and no error carries the key or a plaintext.
 */

/** A `mobilePrivateKey` that cannot be used; the message says why and never quotes the key. */
export class PrivateKeyError extends LeadForwarderError {}

export type MobileDecryptor = (ciphertextBase64: string) => string | undefined;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A real mobile number (with country code, separators, an extension) is far shorter than this. */
const MAX_PLAINTEXT_CHARS = 64;
// Random bytes that slip through PKCS#1 v1.5 unpadding with a wrong key are rarely clean text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffd]/;
const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/**
 * What is wrong with `pem`, or undefined when createMobileDecryptor will accept it. The config
 * parser reports the problem under the setting's name.
 */
export function validatePrivateKey(pem: string): string | undefined {
  try {
    loadKey(pem);
    return undefined;
  } catch (error) {
    return error instanceof PrivateKeyError ? error.message : 'is not a usable private key';
  }
}

/**
 * Parses the key once (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY` PEM; literal `\n` escapes
 * and a PEM flattened onto one line, as pasted into a stack parameter, are accepted) and returns a
 * decryptor. Throws PrivateKeyError for anything else. The decryptor returns the plaintext, or
 * undefined when the input is not base64 of the key's size, neither padding opens it (wrong key,
 * garbage), or what comes out is not a line of text; it never throws.
 */
export function createMobileDecryptor(pem: string): MobileDecryptor {
  const { key, forgeKey, sizeBytes } = loadKey(pem);
  return (ciphertextBase64) => {
    const text = ciphertextBase64.trim();
    if (!BASE64.test(text)) return undefined;
    const ciphertext = Buffer.from(text, 'base64');
    if (ciphertext.length !== sizeBytes) return undefined;
    return plausible(decryptOaep(key, ciphertext) ?? decryptPkcs1(forgeKey, ciphertext));
  };
}

interface LoadedKey {
  key: KeyObject;
  forgeKey: forge.pki.rsa.PrivateKey;
  sizeBytes: number;
}

function loadKey(pem: string): LoadedKey {
  const block = pemBlock(pem);
  if (block === undefined) throw new PrivateKeyError('is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")');
  if (block.label.includes('PUBLIC') || block.label.includes('CERTIFICATE')) throw new PrivateKeyError(`is a ${block.label.toLowerCase()}: the private key is needed`);
  if (block.encrypted) throw new PrivateKeyError('is encrypted with a passphrase: provide the key unencrypted');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.text, format: 'pem' });
  } catch (error) {
    // The cause is OpenSSL's decoder message; it never contains key material.
    throw new PrivateKeyError('is not a valid PKCS#8 or PKCS#1 private key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new PrivateKeyError(`is a ${key.asymmetricKeyType ?? 'non-RSA'} key; the mobile is RSA-encrypted`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  // node-forge reads PKCS#1 PEM whatever form the key was given in.
  const forgeKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString());
  return { key, forgeKey, sizeBytes: Math.ceil(bits / 8) };
}

interface PemBlock {
  label: string;
  /** The block re-wrapped at 64 columns, as OpenSSL expects. */
  text: string;
  /** PKCS#8 `ENCRYPTED PRIVATE KEY`, or a PKCS#1 key with `Proc-Type: 4,ENCRYPTED`. */
  encrypted: boolean;
}

/** The first PEM block of `input`, or undefined when there is none. */
function pemBlock(input: string): PemBlock | undefined {
  const match = PEM.exec(input.replace(/\\n/g, '\n'));
  const label = match?.[1];
  const rawBody = match?.[2];
  if (label === undefined || rawBody === undefined) return undefined;
  // A PEM pasted into a one-line field arrives with spaces where the line breaks were, so the
  // body is re-assembled from whitespace-separated pieces; "Name: value" headers are kept apart.
  const headerPattern = /[A-Za-z-]+: [^\n]*/g;
  const headers = rawBody.match(headerPattern) ?? [];
  const base64 = rawBody.replace(headerPattern, '').replace(/\s+/g, '');
  const wrapped = base64.match(/.{1,64}/g)?.join('\n') ?? '';
  const head = headers.length > 0 ? `${headers.map((h) => h.trim()).join('\n')}\n\n` : '';
  return {
    label,
    text: `-----BEGIN ${label}-----\n${head}${wrapped}\n-----END ${label}-----\n`,
    encrypted: label.includes('ENCRYPTED') || headers.some((h) => /^Proc-Type:.*ENCRYPTED/.test(h)),
  };
}

function decryptOaep(key: KeyObject, ciphertext: Buffer): Buffer | undefined {
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ciphertext);
  } catch {
    return undefined;
  }
}

function decryptPkcs1(key: forge.pki.rsa.PrivateKey, ciphertext: Buffer): Buffer | undefined {
  try {
    return Buffer.from(key.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
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
