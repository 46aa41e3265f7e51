import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SECRET_LINE_BREAK, SECRET_LINE_MARK } from '../config/stack-contract';
import { errorCode, LeadForwarderError } from '../domain/errors';

export class SecretUnavailableError extends LeadForwarderError {
  override readonly name: string = 'SecretUnavailableError';
}

/**
 * Reads one secret's string, or one line of it for a reference `<arn>#<line>` (a secret that
 * holds several values, SECRET_LINE_MARK). The value is returned, never logged; errors name the
 * reference only. Reads of one secret made at the same time share one GetSecretValue call.
 */
export async function readSecret(client: SecretsManagerClient, reference: string): Promise<string> {
  const mark = reference.lastIndexOf(SECRET_LINE_MARK);
  const arn = mark === -1 ? reference : reference.slice(0, mark);
  const value = await secretString(client, arn);
  if (mark === -1) return value;
  const line = reference.slice(mark + 1);
  const part = /^\d{1,3}$/.test(line) ? value.split(SECRET_LINE_BREAK)[Number(line)] : undefined;
  if (part === undefined || part === '') throw new SecretUnavailableError(`secret ${arn} has no value at line ${line}`);
  return part;
}

const inFlight = new WeakMap<SecretsManagerClient, Map<string, Promise<string>>>();

function secretString(client: SecretsManagerClient, arn: string): Promise<string> {
  let reads = inFlight.get(client);
  if (reads === undefined) inFlight.set(client, (reads = new Map<string, Promise<string>>()));
  const pending = reads.get(arn);
  if (pending !== undefined) return pending;
  const read = getSecretString(client, arn).finally(() => reads.delete(arn));
  reads.set(arn, read);
  return read;
}

async function getSecretString(client: SecretsManagerClient, arn: string): Promise<string> {
  let value: string | undefined;
  try {
    value = (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (error) {
    throw new SecretUnavailableError(`could not read secret ${arn}: ${describeFailure(error)}`, { cause: error });
  }
  if (value === undefined) throw new SecretUnavailableError(`secret ${arn} has no string value`);
  return value;
}

/**
 * What the service said (AccessDenied, ResourceNotFound: its message says what and why) or what
 * the SDK's credential provider said (no credentials where it looked). Anything else by name and
 * code only: a body the SDK could not parse comes back as a SyntaxError whose message quotes the
 * body around the fault, which may be the secret itself.
 */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'an error that is not an Error';
  const reportedByService = '$fault' in error;
  const noCredentials = error.name === 'CredentialsProviderError';
  if (reportedByService || noCredentials) return `${error.name}: ${error.message}`;
  const code = errorCode(error);
  return code === undefined ? error.name : `${error.name} (${code})`;
}

/** How long a container trusts what it read: a rotated secret takes effect within this. */
export const SECRET_CACHE_MS = 5 * 60_000;
/**
 * The poller's: an hour (a read is a Secrets Manager call and a KMS decrypt, paid on every poll
 * cycle's worth of time, infra/cost). It loses nothing: the poller reads its secrets afresh as
 * soon as TOP refuses what they hold (codes 25/26/27, refusesSecrets), so a re-authorized session
 * key or a new app secret is used from the next poll on, and an old session key TOP still accepts
 * goes on working until then.
 */
export const POLLER_SECRET_CACHE_MS = 60 * 60_000;
/** When a refresh fails, what was read last stays in use for up to this long past its time. */
export const SECRET_STALE_MS = 60 * 60_000;

export interface CacheOptions {
  now?: () => number;
  /** How long past `ttlMs` the last good value may stand in for a failed refresh; 0: never. */
  staleForMs?: number;
  /** Called when a failed refresh is answered with the last good value. */
  onStale?: (error: unknown) => void;
}

/**
 * Memoizes an async initializer per container for `ttlMs`. A failure is not cached, so the next
 * call tries again (a throttled Secrets Manager must not poison a warm container). A failed
 * refresh of a value read before answers with that value while it is within `staleForMs`: a
 * short Secrets Manager outage at the 5-minute mark must not fail every poll and every batch.
 */
export function cachedFor<T>(ttlMs: number, init: () => Promise<T>, opts: CacheOptions = {}): Cached<T> {
  const now = opts.now ?? Date.now;
  let pending: Promise<T> | undefined;
  let startedAt = 0;
  let good: { value: T; at: number } | undefined;
  const get = (): Promise<T> => {
    const started = now();
    if (pending !== undefined && started - startedAt <= ttlMs) return pending;
    startedAt = started;
    pending = init().then(
      (value) => {
        good = { value, at: started };
        return value;
      },
      (error: unknown) => {
        pending = undefined;
        if (good === undefined || started - good.at > ttlMs + (opts.staleForMs ?? 0)) throw error;
        opts.onStale?.(error);
        return good.value;
      },
    );
    return pending;
  };
  return Object.assign(get, {
    forget: (): void => {
      pending = undefined;
      good = undefined;
    },
  });
}

/** A cached value; `forget()` makes the next call read afresh (after the secrets were refused). */
export type Cached<T> = (() => Promise<T>) & { forget(): void };
