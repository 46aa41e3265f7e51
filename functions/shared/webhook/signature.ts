import { createHmac, timingSafeEqual } from 'node:crypto';
import { LeadForwarderError } from '../domain/errors';

/**
 * Standard Webhooks symmetric signing (spec: github.com/standard-webhooks/standard-webhooks,
 * spec/standard-webhooks.md, "Signature scheme" and "Webhook headers"): HMAC-SHA256 keyed by the
 * bytes of a `whsec_<base64>` secret over `<msg_id>.<timestamp>.<body>`, sent as
 * `v1,<base64>`; several space-separated signatures while a secret is rotated.
 *
 * Secrets never appear in an error message: only what is wrong with them.
 */

export const SECRET_PREFIX = 'whsec_';
/** The spec asks for at least 24 random bytes (192 bits) and at most 64 (512 bits). */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
/** How far a `webhook-timestamp` may be from the receiver's clock (the spec's reference libraries use 5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

const SIGNATURE_VERSION = 'v1';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** A webhook secret that cannot be used; the message says why, never what the secret is. */
export class WebhookSecretError extends LeadForwarderError {
  override readonly name: string = 'WebhookSecretError';
}

/** A message id or timestamp that cannot be signed safely: a bug in the caller, not in the data. */
export class SigningInputError extends LeadForwarderError {
  override readonly name: string = 'SigningInputError';
}

/**
 * What is wrong with a `whsec_` secret, or undefined when it is usable. The config parser reports
 * the problem next to the setting's name; the secret itself is never part of the text.
 */
export function validateWebhookSecret(secret: string): string | undefined {
  if (!secret.startsWith(SECRET_PREFIX))
    return `must start with "${SECRET_PREFIX}" followed by base64 (a Standard Webhooks secret)`;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return `the part after "${SECRET_PREFIX}" must be standard base64`;
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    return `must decode to ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes, not ${bytes} (e.g. "${SECRET_PREFIX}" + \`openssl rand -base64 32\`)`;
  }
  return undefined;
}

/** The HMAC key of a `whsec_` secret. Throws WebhookSecretError (without the secret) when malformed. */
export function parseWebhookSecret(secret: string): Buffer {
  const problem = validateWebhookSecret(secret);
  if (problem !== undefined) throw new WebhookSecretError(`webhook secret ${problem}`);
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * The `webhook-signature` header value: one `v1,<base64>` per secret, in the order given,
 * space-separated. Every listed secret signs, so receivers holding either the old or the new
 * secret accept the message during a rotation. Pure: the same inputs give the same header.
 */
export function sign(msgId: string, timestampSeconds: number, body: string, secrets: readonly string[]): string {
  // The signed content is dot-delimited: an id or timestamp with a dot could shift the boundary.
  if (msgId === '' || msgId.includes('.')) throw new SigningInputError('a webhook id must be non-empty and contain no "."');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0)
    throw new SigningInputError('a webhook timestamp must be whole unix seconds');
  if (secrets.length === 0) throw new SigningInputError('signing needs at least one secret');
  return secrets
    .map(
      (secret) => `${SIGNATURE_VERSION},${digest(parseWebhookSecret(secret), msgId, timestampSeconds, body).toString('base64')}`,
    )
    .join(' ');
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export interface SignedRequest {
  /** Header names in any case; a repeated header counts as its first value. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body exactly as received: signatures are over bytes, not over parsed JSON. */
  body: string;
}

/**
 * Checks a received request the way a Standard Webhooks receiver should: all three headers
 * present, a timestamp within SIGNATURE_TOLERANCE_SECONDS of `now`, and at least one `v1`
 * signature matching one of `secrets`, compared in constant time. Other signature versions
 * (e.g. `v1a`) are skipped, not rejected. Throws WebhookSecretError if one of `secrets` is
 * malformed: that is the receiver's configuration, not the sender's fault.
 */
export function verify(
  request: SignedRequest,
  secrets: readonly string[],
  now: Date = new Date(),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): VerifyResult {
  const msgId = header(request.headers, 'webhook-id');
  const timestamp = header(request.headers, 'webhook-timestamp');
  const signatures = header(request.headers, 'webhook-signature');
  if (msgId === undefined || timestamp === undefined || signatures === undefined)
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
  const seconds = Number(timestamp);
  const skew = Math.floor(now.getTime() / 1000) - seconds;
  if (Math.abs(skew) > toleranceSeconds)
    return { ok: false, reason: `webhook-timestamp is ${skew > 0 ? 'too old' : 'in the future'} (${Math.abs(skew)} s off)` };

  const expected = secrets.map((secret) => digest(parseWebhookSecret(secret), msgId, seconds, request.body));
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== SIGNATURE_VERSION || value === undefined || !BASE64.test(value)) continue;
    const given = Buffer.from(value, 'base64');
    // The length of an HMAC-SHA256 is public (32 bytes): checking it first leaks nothing.
    if (expected.some((mac) => mac.length === given.length && timingSafeEqual(mac, given))) return { ok: true };
  }
  return { ok: false, reason: 'no signature matches' };
}

function digest(key: Buffer, msgId: string, timestampSeconds: number, body: string): Buffer {
  return createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`, 'utf8').digest();
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = typeof value === 'string' ? value : value?.[0];
    return first === undefined || first === '' ? undefined : first;
  }
  return undefined;
}
