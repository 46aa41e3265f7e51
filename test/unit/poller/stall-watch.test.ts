import { NO_POLL_INTERVALS, StallWatch, stallAfterMs } from '../../../functions/poller/stall-watch';

describe('the poller watching for polls that do not succeed', () => {
  it('allows NO_POLL_INTERVALS intervals, whole minutes on sub-minute schedules (as the "not running" alarm)', () => {
    expect(stallAfterMs(60)).toBe(NO_POLL_INTERVALS * 60_000);
    expect(stallAfterMs(10)).toBe(NO_POLL_INTERVALS * 60_000);
    expect(stallAfterMs(3600)).toBe(NO_POLL_INTERVALS * 3_600_000);
  });

  it('reports a stall once, on the first unsuccessful poll that long after the last success, and again after a success ends it', () => {
    const minute = 60_000;
    const watch = new StallWatch(5 * minute, 0);
    const failures = (from: number, to: number): number[] => {
      const reported: number[] = [];
      for (let m = from; m <= to; m += 1) if (watch.failed(m * minute)) reported.push(m);
      return reported;
    };
    // A container that starts failing: counted from its start.
    expect(failures(1, 12)).toEqual([5]);
    watch.succeeded(13 * minute);
    expect(failures(14, 17)).toEqual([]);
    expect(failures(18, 30)).toEqual([18]);
  });

  it('never reports polls that keep succeeding in between', () => {
    const watch = new StallWatch(300_000, 0);
    for (let m = 1; m < 100; m += 1) {
      if (m % 4 === 0) watch.succeeded(m * 60_000);
      else expect(watch.failed(m * 60_000)).toBe(false);
    }
  });
});
