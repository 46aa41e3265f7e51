import { cachedFor } from '../../functions/shared/aws/secrets';

describe('cachedFor (per-container secret wiring)', () => {
  it('reads once within the TTL, again after it, and never caches a failure', async () => {
    let clock = 0;
    let reads = 0;
    let fail = true;
    const get = cachedFor(1_000, () => {
      reads += 1;
      return fail ? Promise.reject(new Error('throttled')) : Promise.resolve(`value-${reads}`);
    }, () => clock);

    await expect(get()).rejects.toThrow('throttled');
    fail = false;
    await expect(get()).resolves.toBe('value-2'); // the failure was not kept
    clock = 999;
    await expect(get()).resolves.toBe('value-2');
    clock = 2_100;
    await expect(get()).resolves.toBe('value-3'); // a rotated secret is picked up
    expect(reads).toBe(3);
  });
});
