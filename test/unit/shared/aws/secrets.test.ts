import { cachedFor } from '../../../../functions/shared/aws/secrets';

describe('cachedFor (per-container secret wiring)', () => {
  it('reads once within the TTL, again after it, and never caches a failure', async () => {
    let clock = 0;
    let reads = 0;
    let fail = true;
    const get = cachedFor(
      1_000,
      () => {
        reads += 1;
        return fail ? Promise.reject(new Error('throttled')) : Promise.resolve(`value-${reads}`);
      },
      { now: () => clock },
    );

    await expect(get()).rejects.toThrow('throttled');
    fail = false;
    await expect(get()).resolves.toBe('value-2'); // the failure was not kept
    clock = 999;
    await expect(get()).resolves.toBe('value-2');
    clock = 2_100;
    await expect(get()).resolves.toBe('value-3'); // a rotated secret is picked up
    expect(reads).toBe(3);
  });

  it('answers a failed refresh with the last good value while it is within staleForMs, says so, and tries again next time', async () => {
    let clock = 0;
    let fail = false;
    let reads = 0;
    const stale: unknown[] = [];
    const get = cachedFor(
      1_000,
      () => {
        reads += 1;
        return fail ? Promise.reject(new Error('Secrets Manager unavailable')) : Promise.resolve(`value-${reads}`);
      },
      { now: () => clock, staleForMs: 5_000, onStale: (error) => stale.push(error) },
    );

    await expect(get()).resolves.toBe('value-1');
    fail = true;
    clock = 1_500;
    await expect(get()).resolves.toBe('value-1'); // refresh failed: the value read before stands in
    expect(stale).toHaveLength(1);
    clock = 1_600;
    await expect(get()).resolves.toBe('value-1'); // and the refresh is tried again, not cached as failed
    expect(reads).toBe(3);
    clock = 6_100; // past ttl + staleForMs: too old to stand in
    await expect(get()).rejects.toThrow('Secrets Manager unavailable');
    fail = false;
    await expect(get()).resolves.toBe('value-5');
  });

  it('forget() makes the next call read afresh, and a failure then is not answered with the forgotten value', async () => {
    let reads = 0;
    let fail = false;
    const get = cachedFor(
      60_000,
      () => {
        reads += 1;
        return fail ? Promise.reject(new Error('unavailable')) : Promise.resolve(`value-${reads}`);
      },
      { now: () => 0, staleForMs: 60_000 },
    );
    await expect(get()).resolves.toBe('value-1');
    get.forget(); // the gateway refused the session: the operator may have updated it
    await expect(get()).resolves.toBe('value-2');
    get.forget();
    fail = true;
    await expect(get()).rejects.toThrow('unavailable');
  });
});
