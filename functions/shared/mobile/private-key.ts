import { createPrivateKey, type KeyObject } from 'node:crypto';
import { LeadForwarderError } from '../domain/errors';

/**
 * The `mobilePrivateKey` setting: PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY` PEM, with
 * literal `\n` escapes or flattened onto one line as pasted into a stack parameter. Kept apart
 * from the decryptor (mobile-decryptor.ts) so that validating a config does not load node-forge: the
 * poller's bundle stays without it.
 */

/** A `mobilePrivateKey` that cannot be used; the message says why and never quotes the key. */
export class PrivateKeyError extends LeadForwarderError {
  override readonly name: string = 'PrivateKeyError';
}

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

export interface LoadedKey {
  key: KeyObject;
  sizeBytes: number;
}

/** Parses the PEM into an RSA private key; throws PrivateKeyError saying what is wrong (never quoting the key). */
export function loadKey(pem: string): LoadedKey {
  const block = pemBlock(pem);
  if (block === undefined)
    throw new PrivateKeyError(
      'is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")',
    );
  if (block.label.includes('PUBLIC') || block.label.includes('CERTIFICATE'))
    throw new PrivateKeyError(`is a ${block.label.toLowerCase()}: the private key is needed`);
  if (block.encrypted) throw new PrivateKeyError('is encrypted with a passphrase: provide the key unencrypted');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.text, format: 'pem' });
  } catch (error) {
    // The cause is OpenSSL's decoder message; it never contains key material.
    throw new PrivateKeyError('is not a valid PKCS#8 or PKCS#1 private key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new PrivateKeyError(`is a ${key.asymmetricKeyType ?? 'non-RSA'} key; the mobile is RSA-encrypted`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return { key, sizeBytes: Math.ceil(bits / 8) };
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
