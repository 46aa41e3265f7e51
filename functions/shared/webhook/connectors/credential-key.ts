import { createHash } from 'node:crypto';

/**
 * A token-cache key for a connector's credentials: a hash, so that a key printed in a debugger
 * or a heap snapshot does not hold the secret; two endpoints with the same credentials share
 * one token (and one fetch), as the vendors' per-app token quotas expect.
 */
export function credentialKey(vendor: string, ...parts: string[]): string {
  return `${vendor}:${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}
