import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { formatTopTimestamp, parseTopTimestamp } from '../../../../functions/shared/taobao/timestamp';

const INSTANT = Date.UTC(2016, 0, 1, 4, 0, 0); // 2016-01-01 12:00:00 in GMT+8
const ROOT = resolve(__dirname, '../../../..');
const MODULE = resolve(ROOT, 'functions/shared/taobao/timestamp.ts');

/**
 * Runs the formatter in a child Node whose host zone is really `TZ`: inside a jest worker,
 * assigning process.env.TZ does not reach the runtime (jest sandboxes process.env).
 */
function formatUnderZone(zone: string): { offset: number; localHours: number; formatted: string; parsed: number | null } {
  const script = `
    const { formatTopTimestamp, parseTopTimestamp } = require(${JSON.stringify(MODULE)});
    const at = ${INSTANT};
    process.stdout.write(JSON.stringify({
      offset: new Date(at).getTimezoneOffset(),
      localHours: new Date(at).getHours(),
      formatted: formatTopTimestamp(at),
      parsed: parseTopTimestamp('2016-01-01 12:00:00') ?? null,
    }));`;
  const child = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
    env: { ...process.env, TZ: zone },
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { offset: number; localHours: number; formatted: string; parsed: number | null };
}

describe('TOP timestamp', () => {
  it.each([
    ['UTC', 0, 4],
    ['America/Los_Angeles', 480, 20],
    ['Asia/Kolkata', -330, 9],
  ])('is GMT+8 wall time in a process whose zone is %s', (zone, offset, localHours) => {
    const seen = formatUnderZone(zone);
    // The child really runs in that zone: local formatting would have given another time.
    expect(seen.offset).toBe(offset);
    expect(seen.localHours).toBe(localHours);
    expect(seen.formatted).toBe('2016-01-01 12:00:00');
    expect(seen.parsed).toBe(INSTANT);
  });

  it('formats and parses the published example instant in this process too', () => {
    expect(formatTopTimestamp(INSTANT)).toBe('2016-01-01 12:00:00');
    expect(parseTopTimestamp('2016-01-01 12:00:00')).toBe(INSTANT);
  });

  it('crosses the date line correctly (UTC evening is the next day in GMT+8)', () => {
    expect(formatTopTimestamp(Date.UTC(2026, 11, 31, 16, 30, 5))).toBe('2027-01-01 00:30:05');
  });

  it('round-trips to the second', () => {
    const now = Date.UTC(2026, 10, 29, 6, 7, 8);
    expect(parseTopTimestamp(formatTopTimestamp(now))).toBe(now);
    expect(parseTopTimestamp(formatTopTimestamp(now + 999))).toBe(now);
  });

  it.each([
    '',
    '2016-01-01T12:00:00',
    '2016-01-01 12:00',
    '2016-02-30 12:00:00',
    '2016-13-01 00:00:00',
    '2016-01-01 24:00:00',
    ' 2016-01-01 12:00:00',
  ])('rejects %j', (text) => {
    expect(parseTopTimestamp(text)).toBeUndefined();
  });
});
