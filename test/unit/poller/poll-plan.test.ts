import { LOOKBACK_IDS, planStep } from '../../../functions/poller/poll';
import type { LeadPage, SourceState } from '../../../functions/poller/ports';
import { PagingContractError } from '../../../functions/shared/domain/errors';
import type { StartFrom } from '../../../functions/shared/domain/settings';

const NOW = '2026-11-29T06:00:00.000Z';
const page = (ids: number[], rawCount = ids.length): LeadPage => ({
  rawCount,
  leads: ids.map((id) => ({ id: String(id) })),
  rejected: [],
});
const fresh: SourceState = { version: 0, seen: [] };
const range = (hi: number, lo: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => hi - i);
const ids = (step: { enqueue: { id: string }[] }): string[] => step.enqueue.map((l) => l.id);

describe('planStep: first run', () => {
  it('startFrom latest takes the newest lead as the cursor and forwards nothing', () => {
    const step = planStep(fresh, page(range(50, 41), 10), { pageSize: 10, startFrom: { kind: 'latest' } }, NOW);
    expect(ids(step)).toEqual([]);
    expect(step.next).toBeUndefined();
    expect(step.update.cursor).toBe('50');
    expect(step.update.scan).toBeUndefined();
  });

  it('startFrom all forwards the first page and continues below it', () => {
    const step = planStep(fresh, page(range(50, 41)), { pageSize: 10, startFrom: { kind: 'all' } }, NOW);
    expect(ids(step)).toEqual(range(50, 41).map(String));
    expect(step.next).toBe('41');
    expect(step.update.scan).toMatchObject({ top: '50', floor: '0', next: '41' });
    expect(step.update.cursor).toBeUndefined();
  });

  it('startFrom an id forwards only ids above it', () => {
    const step = planStep(fresh, page(range(50, 41)), { pageSize: 10, startFrom: { kind: 'id', id: '45' } }, NOW);
    expect(ids(step)).toEqual(['50', '49', '48', '47', '46']);
    expect(step.next).toBeUndefined();
    expect(step.update.cursor).toBe('50');
  });

  it('startFrom an id above every lead keeps that id as the cursor', () => {
    const step = planStep(fresh, page([7, 6, 5], 3), { pageSize: 10, startFrom: { kind: 'id', id: '100' } }, NOW);
    expect(ids(step)).toEqual([]);
    expect(step.update.cursor).toBe('100');
  });

  it.each([[{ kind: 'latest' }], [{ kind: 'all' }], [{ kind: 'id', id: '45' }]] as [StartFrom][])(
    'a first run that finds no lead at all (startFrom %j) leaves the cursor unset but marks the run',
    (startFrom) => {
      const step = planStep(fresh, page([]), { pageSize: 10, startFrom }, NOW);
      expect(step.update.cursor).toBeUndefined();
      expect(step.update.cursorAt).toBe(NOW);
      expect(step.next).toBeUndefined();
    },
  );

  it('startFrom latest: leads that arrive after an empty first run are all forwarded', () => {
    const first = planStep(fresh, page([]), { pageSize: 10, startFrom: { kind: 'latest' } }, NOW);
    const second = planStep(
      { version: 1, ...first.update },
      page([103, 102, 101], 3),
      { pageSize: 10, startFrom: { kind: 'latest' } },
      NOW,
    );
    expect(ids(second)).toEqual(['103', '102', '101']);
    expect(second.update.cursor).toBe('103');
  });

  it('startFrom an id: after an empty first run, still only ids above it', () => {
    const opts = { pageSize: 10, startFrom: { kind: 'id', id: '101' } } as const;
    const first = planStep(fresh, page([]), opts, NOW);
    const second = planStep({ version: 1, ...first.update }, page([103, 102, 101, 100], 4), opts, NOW);
    expect(ids(second)).toEqual(['103', '102']);
  });

  it('an empty page later on keeps the cursor where it was', () => {
    const step = planStep(
      { version: 4, cursor: '77', seen: ['77'] },
      page([]),
      { pageSize: 10, startFrom: { kind: 'latest' } },
      NOW,
    );
    expect(step.update).toMatchObject({ cursor: '77', seen: ['77'] });
  });
});

describe('planStep: paging', () => {
  const scanning: SourceState = { version: 3, cursor: '10', seen: [], scan: { top: '50', floor: '10', next: '41', seen: [] } };

  it('drops the offset id when the API repeats it (inclusive offset)', () => {
    const step = planStep(scanning, page(range(41, 32)), { pageSize: 10, startFrom: { kind: 'all' } }, NOW);
    expect(ids(step)).toEqual(range(40, 32).map(String));
    expect(step.next).toBe('32');
  });

  it('ends the scan at the floor and moves the cursor to the top', () => {
    const step = planStep(
      { ...scanning, scan: { top: '50', floor: '10', next: '15', seen: [] } },
      page(range(14, 5)),
      { pageSize: 10, startFrom: { kind: 'all' } },
      NOW,
    );
    expect(ids(step)).toEqual(['14', '13', '12', '11']);
    expect(step.next).toBeUndefined();
    expect(step.update).toMatchObject({ cursor: '50', cursorAt: NOW });
    expect(step.update.scan).toBeUndefined();
  });

  it('a short page ends the scan', () => {
    const step = planStep(scanning, page([40, 39], 2), { pageSize: 10, startFrom: { kind: 'all' } }, NOW);
    expect(step.next).toBeUndefined();
    expect(step.update.cursor).toBe('50');
  });

  it('stops with an error when ids are not descending', () => {
    expect(() => planStep(scanning, page([30, 35, 20]), { pageSize: 10, startFrom: { kind: 'all' } }, NOW)).toThrow(
      PagingContractError,
    );
  });

  it('stops with an error when a page returns ids above its offset', () => {
    expect(() => planStep(scanning, page(range(45, 36)), { pageSize: 10, startFrom: { kind: 'all' } }, NOW)).toThrow(/above it/);
  });

  it('stops with an error when a page makes no progress (page size 1, inclusive offset)', () => {
    expect(() => planStep(scanning, page([41]), { pageSize: 1, startFrom: { kind: 'all' } }, NOW)).toThrow(/no progress/);
  });
});

describe('planStep: unreadable records', () => {
  const withBad = (ids: number[], bad: { below?: number }[], rawCount?: number): LeadPage => ({
    ...page(ids, rawCount ?? ids.length + bad.length),
    rejected: bad.map((b) =>
      b.below === undefined ? { problem: 'no usable id' } : { problem: 'no usable id', below: String(b.below) },
    ),
  });

  it('reports one above the cursor (new), not one among the leads below it that the lookback re-reads', () => {
    const settled: SourceState = { version: 2, cursor: '100', seen: range(100, 81).map(String) };
    const step = planStep(
      settled,
      withBad([103, 102, 101, 100, 99, 98], [{}, { below: 101 }, { below: 99 }], 9),
      { pageSize: 30, startFrom: { kind: 'latest' } },
      NOW,
    );
    expect(ids(step)).toEqual(['103', '102', '101']);
    expect(step.rejected).toEqual(['no usable id', 'no usable id']); // above 103, and between 101 and 100
  });

  it('on a later page, one at the top is placed by the offset', () => {
    const scanning: SourceState = { version: 3, cursor: '10', seen: [], scan: { top: '50', floor: '10', next: '41', seen: [] } };
    expect(
      planStep(scanning, withBad(range(40, 32), [{}]), { pageSize: 10, startFrom: { kind: 'all' } }, NOW).rejected,
    ).toHaveLength(1);
    const atFloor: SourceState = { ...scanning, scan: { top: '50', floor: '10', next: '10', seen: [] } };
    expect(planStep(atFloor, withBad(range(9, 1), [{}]), { pageSize: 10, startFrom: { kind: 'all' } }, NOW).rejected).toEqual([]);
  });
});

describe('planStep: lookback', () => {
  const handled = range(100, 100 - LOOKBACK_IDS + 1).map(String);
  const settled: SourceState = { version: 9, cursor: '100', seen: handled };

  it('re-reads the window below the cursor and forwards nothing already handled', () => {
    const step = planStep(settled, page(range(100, 71), 30), { pageSize: 30, startFrom: { kind: 'latest' } }, NOW);
    expect(ids(step)).toEqual([]);
    expect(step.next).toBeUndefined();
    expect(step.update.cursor).toBe('100');
  });

  it('never forwards an id at or below a startFrom id, even one committed late', () => {
    const opts = { pageSize: 10, startFrom: { kind: 'id', id: '100' } } as const;
    const first = planStep(fresh, page([7, 6, 5], 3), opts, NOW);
    expect(first.update.cursor).toBe('100');
    // 50 appears later: below the startFrom id, so it is not a lead to forward.
    const second = planStep({ version: 1, ...first.update }, page([50, 7, 6, 5], 4), opts, NOW);
    expect(ids(second)).toEqual([]);
    expect(second.update.cursor).toBe('100');
  });

  it('a startFrom id above the cursor (changed after the first run) does not cut the scan short', () => {
    // Cursor 50 with a lookback down to 40; the setting now says 1000. Ids 51..1200 are all new.
    const state: SourceState = { version: 5, cursor: '50', seen: range(50, 40).map(String) };
    const opts = { pageSize: 100, startFrom: { kind: 'id', id: '1000' } } as const;
    let current: SourceState = state;
    const forwarded: string[] = [];
    for (let offset: string | undefined, guard = 0; guard < 20; guard += 1) {
      const hi = offset === undefined ? 1200 : Number(offset) - 1;
      const step = planStep(current, page(range(hi, Math.max(1, hi - 99)), 100), opts, NOW);
      forwarded.push(...ids(step));
      current = { version: current.version + 1, ...step.update };
      offset = step.next;
      if (offset === undefined) break;
    }
    expect(forwarded).toEqual(range(1200, 51).map(String));
    expect(current.cursor).toBe('1200');
  });

  it('forwards an id committed late inside the window', () => {
    const withGap: SourceState = { ...settled, seen: handled.filter((id) => id !== '95') };
    const step = planStep(withGap, page(range(100, 71), 30), { pageSize: 30, startFrom: { kind: 'latest' } }, NOW);
    expect(ids(step)).toEqual(['95']);
    expect(step.update.seen).toContain('95');
  });
});
