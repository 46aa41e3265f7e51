import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LeadForwarderError } from '../errors';

export class SecretUnavailableError extends LeadForwarderError {}

/** Reads one secret's string. The value is returned, never logged; errors name the ARN only. */
export async function readSecret(client: SecretsManagerClient, arn: string): Promise<string> {
  let value: string | undefined;
  try {
    value = (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (error) {
    throw new SecretUnavailableError(`could not read secret ${arn}: ${error instanceof Error ? error.name : 'error'}`, { cause: error });
  }
  if (value === undefined) throw new SecretUnavailableError(`secret ${arn} has no string value`);
  return value;
}

/** How long a container trusts what it read: a rotated secret takes effect within this. */
export const SECRET_CACHE_MS = 5 * 60_000;

/**
 * Memoizes an async initializer per container for `ttlMs`; a failure is not cached, so the
 * next invocation tries again (a throttled Secrets Manager must not poison a warm container).
 */
export function cachedFor<T>(ttlMs: number, init: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let loadedAt = 0;
  return () => {
    if (pending === undefined || now() - loadedAt > ttlMs) {
      loadedAt = now();
      pending = init().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    }
    return pending;
  };
}
