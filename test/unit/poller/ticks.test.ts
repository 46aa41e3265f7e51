import { decodeTick, encodeTick, MalformedTickError, planFanOut, TickGate } from '../../../functions/poller/ticks';

const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);

describe('planFanOut', () => {
  it.each([
    [5, 11],
    [10, 5],
    [15, 3],
    [20, 2],
    [30, 1],
  ])('rate(%d seconds): %d ticks after the scheduled poll, evenly spaced, all within the minute', (seconds, count) => {
    const ticks = planFanOut({ intervalSeconds: seconds, minuteStart: T0, now: T0 + 200 });
    expect(ticks).toHaveLength(count);
    expect(ticks.map((t) => t.tick.due - T0)).toEqual(Array.from({ length: count }, (_, i) => (i + 1) * seconds * 1000));
    expect(ticks.map((t) => t.delaySeconds)).toEqual(Array.from({ length: count }, (_, i) => (i + 1) * seconds));
    expect(ticks.every((t) => t.tick.every === seconds && t.tick.due < T0 + 60_000)).toBe(true);
  });

  it.each([60, 120, 3600, 0, -5, 7.5])(
    'sends nothing for an interval of %d s (the scheduler alone runs a minute or more)',
    (seconds) => {
      expect(planFanOut({ intervalSeconds: seconds, minuteStart: T0, now: T0 })).toEqual([]);
    },
  );

  it('leaves out ticks already due when the poll ends (a long poll covers them) and ticks due during a ban', () => {
    const afterLongPoll = planFanOut({ intervalSeconds: 10, minuteStart: T0, now: T0 + 23_400 });
    expect(afterLongPoll.map((t) => [t.tick.due - T0, t.delaySeconds])).toEqual([
      [30_000, 7],
      [40_000, 17],
      [50_000, 27],
    ]);
    const banned = planFanOut({ intervalSeconds: 10, minuteStart: T0, now: T0 + 1_000, pausedUntil: T0 + 32_000 });
    expect(banned.map((t) => t.tick.due - T0)).toEqual([40_000, 50_000]);
  });
});

describe('tick messages', () => {
  it('round-trip', () => {
    expect(decodeTick(encodeTick({ due: T0, every: 10 }))).toEqual({ due: T0, every: 10 });
  });

  it.each([
    '',
    'null',
    '[]',
    '{"every":10}',
    '{"due":12345,"every":10}',
    '{"due":"soon","every":10}',
    '{"due":"2026-12-02T08:00:00Z"}',
    '{"due":"2026-12-02T08:00:00Z","every":1.5}',
    '{"due":"2026-12-02T08:00:00Z","every":"10"}',
    '{"due":"2026-12-02T08:00:00Z","every":7200}',
  ])('refuses %s', (body) => {
    expect(() => decodeTick(body)).toThrow(MalformedTickError);
  });
});

describe('TickGate', () => {
  it('admits a tick on time, then drops its duplicate, an older one, and one later than its interval', async () => {
    const gate = new TickGate();
    expect(gate.admit({ due: T0, every: 10 }, T0 + 100)).toBe('poll');
    await gate.run(
      T0,
      () => Promise.resolve({}),
      () => T0 + 500,
    );
    expect(gate.admit({ due: T0, every: 10 }, T0 + 600)).toBe('duplicate');
    expect(gate.admit({ due: T0 - 10_000, every: 10 }, T0 + 600)).toBe('duplicate');
    expect(gate.admit({ due: T0 + 10_000, every: 10 }, T0 + 20_001)).toBe('late');
    expect(gate.admit({ due: T0 + 10_000, every: 10 }, T0 + 19_000)).toBe('poll');
  });

  it('drops every tick while a poll runs, and releases after a poll that throws', async () => {
    const gate = new TickGate();
    let release: () => void = () => undefined;
    const running = gate.run(T0, () => new Promise<object>((resolve) => (release = () => resolve({}))));
    expect(gate.admit({ due: T0 + 10_000, every: 10 }, T0 + 10_000)).toBe('busy');
    release();
    await running;
    await expect(gate.run(T0 + 10_000, () => Promise.reject(new Error('gateway down')))).rejects.toThrow('gateway down');
    expect(gate.admit({ due: T0 + 20_000, every: 10 }, T0 + 20_000)).toBe('poll');
  });

  it('pauses for the ban a poll met (a minute when its length is unknown), and a poll that is not banned lifts the pause', async () => {
    const gate = new TickGate();
    await gate.run(
      T0,
      () => Promise.resolve({ stoppedEarly: 'rate-limited', retryAfterMs: 31_000 }),
      () => T0 + 1_000,
    );
    expect(gate.pausedUntil).toBe(T0 + 32_000);
    expect(gate.admit({ due: T0 + 30_000, every: 10 }, T0 + 30_100)).toBe('paused');
    expect(gate.admit({ due: T0 + 40_000, every: 10 }, T0 + 40_100)).toBe('poll');
    await gate.run(
      T0 + 40_000,
      () => Promise.resolve({ stoppedEarly: 'rate-limited' }),
      () => T0 + 41_000,
    );
    expect(gate.pausedUntil).toBe(T0 + 101_000);
    await gate.run(
      T0 + 120_000,
      () => Promise.resolve({ stoppedEarly: 'deadline' }),
      () => T0 + 121_000,
    );
    expect(gate.pausedUntil).toBe(0);
  });
});
