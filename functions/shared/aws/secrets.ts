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

/**
 * Memoizes an async initializer per container; a failure is not cached, so the next invocation
 * tries again (a throttled Secrets Manager must not poison a warm container).
 */
export function once<T>(init: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= init().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
