import { TokenCache, type IssuedToken } from '../../../../../functions/shared/webhook/auth/token-cache';

describe('TokenCache', () => {
  let now = 0;
  let issued = 0;
  const cache = (): TokenCache => new TokenCache(() => now);
  const issue = (expiresInSeconds?: number) => (): Promise<IssuedToken> =>
    Promise.resolve({ value: `tok-${++issued}`, expiresInSeconds });

  beforeEach(() => {
    now = 1_000_000;
    issued = 0;
  });

  it('renews a token that lives two minutes or less at half its life, not on every use', async () => {
    const tokens = cache();
    await expect(tokens.get('k', issue(60))).resolves.toBe('tok-1');
    now += 29_999;
    await expect(tokens.get('k', issue(60))).resolves.toBe('tok-1');
    now += 1;
    await expect(tokens.get('k', issue(60))).resolves.toBe('tok-2');
  });

  it('does not remember a failed fetch: the next caller asks again', async () => {
    const tokens = cache();
    await expect(tokens.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(tokens.get('k', issue())).resolves.toBe('tok-1');
  });

  it('drops only the token that was refused, and keeps tokens of other keys apart', async () => {
    const tokens = cache();
    await tokens.get('a', issue());
    await tokens.get('b', issue());
    tokens.invalidate('a', 'tok-stale');
    await expect(tokens.get('a', issue())).resolves.toBe('tok-1');
    tokens.invalidate('a', 'tok-1');
    await expect(tokens.get('a', issue())).resolves.toBe('tok-3');
    await expect(tokens.get('b', issue())).resolves.toBe('tok-2');
  });
});
