/**
 * Access tokens shared by every delivery of the process (DESIGN §7): fetched once per key (token
 * URL, client and scope) however many deliveries ask at the same moment, renewed
 * RENEW_BEFORE_EXPIRY_MS before `expires_in` ends, and dropped on a 401. A failed fetch is not
 * remembered: the next delivery that needs the token asks again.
 */

/** A token as the authorization server issued it. */
export interface IssuedToken {
  value: string;
  /** RFC 6749 §5.1 `expires_in`; absent: good until the resource server answers 401. */
  expiresInSeconds?: number;
  /** What came with the token that later requests need (a connector's instance URL or corp id). */
  context?: Readonly<Record<string, string>>;
}

/** A token is renewed this long before it expires, so no request leaves with one about to lapse. */
export const RENEW_BEFORE_EXPIRY_MS = 60_000;

interface CachedToken {
  issued: IssuedToken;
  /** Epoch ms from which the token is renewed before use; undefined: never by time. */
  renewAt?: number;
}

export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The token for `key`, calling `fetch` only when there is none worth using and no fetch for it is under way. */
  async get(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    return (await this.getIssued(key, fetch)).value;
  }

  /** Like `get`, with what came with the token. */
  async getIssued(key: string, fetch: () => Promise<IssuedToken>): Promise<IssuedToken> {
    const cached = this.tokens.get(key);
    if (cached !== undefined && (cached.renewAt === undefined || this.now() < cached.renewAt)) return cached.issued;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.fetch(key, fetch);
      this.inFlight.set(key, pending);
    }
    return (await pending).issued;
  }

  /**
   * Drops `value` (a resource server refused it with 401). Only that token: another delivery may
   * have renewed it already, and that newer one stays.
   */
  invalidate(key: string, value: string): void {
    if (this.tokens.get(key)?.issued.value === value) this.tokens.delete(key);
  }

  private async fetch(key: string, fetch: () => Promise<IssuedToken>): Promise<CachedToken> {
    // The lifetime counts from the request: the server issued the token after it arrived.
    const requestedAt = this.now();
    try {
      const issued = await fetch();
      const token: CachedToken = { issued, renewAt: renewAt(requestedAt, issued.expiresInSeconds) };
      this.tokens.set(key, token);
      return token;
    } finally {
      this.inFlight.delete(key);
    }
  }
}

/**
 * A minute before expiry; a token that lives two minutes or less is renewed at half its life, so
 * that a short-lived one is still used rather than fetched again for every delivery.
 */
function renewAt(requestedAt: number, expiresInSeconds: number | undefined): number | undefined {
  if (expiresInSeconds === undefined) return undefined;
  const lifeMs = expiresInSeconds * 1000;
  return requestedAt + Math.max(lifeMs - RENEW_BEFORE_EXPIRY_MS, lifeMs / 2);
}

/** The one cache of the process: every endpoint with the same token URL, client and scope shares its token. */
export const processTokenCache = new TokenCache();
