import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { costReport, costSection, scenarios } from '../../infra/cost/report';
import { synthesizedTemplate } from '../../infra/cost/synth';

/** `npm run cost` on the real stack, and the README's cost section that is generated from it. */

const json = synthesizedTemplate();
const README = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the idle cost of the stack', () => {
  it('is what the README says (regenerate with `npm run cost -- --readme`)', () => {
    expect(costSection(README)).toBe(costReport(json));
  });

  it('meets the targets of issue 16: ≤ $5.00 at the default schedule with everything on, ≤ $2.50 lean, ≤ $2.00 more at rate(10 seconds)', () => {
    const { standard, lean, subMinute } = scenarios(json);
    expect(standard.items.find((item) => item.key === 'dashboards')!.usd).toBeGreaterThan(0);
    expect(standard.usd).toBeLessThanOrEqual(5);
    expect(lean).toBeDefined();
    expect(lean!.usd).toBeLessThanOrEqual(2.5);
    // Lean: everything but the dashboard and the metrics only it reads.
    const usd = (estimate: typeof standard, key: string): number => estimate.items.find((item) => item.key === key)!.usd;
    expect(usd(lean!, 'dashboards')).toBe(0);
    expect(standard.usd - lean!.usd).toBeCloseTo(
      usd(standard, 'dashboards') + usd(standard, 'customMetrics') - usd(lean!, 'customMetrics'),
      6,
    );
    // Sub-minute polling adds at most $2 a month at rate(10 seconds).
    expect(subMinute.usd - standard.usd).toBeLessThanOrEqual(2);
    // No customer-managed key is left, and no alarm is high-resolution at the default schedule.
    expect(standard.items.find((item) => item.key === 'kmsKeys')!.usd).toBe(0);
    expect(standard.items.find((item) => item.key === 'alarms')!.detail).not.toMatch(/high-resolution/);
  });

  it("the figures the README quotes outside its generated table are the script's", () => {
    const { standard, subMinute } = scenarios(json);
    const extra = /Extra cost at `rate\(10 seconds\)`[^$]*\$(\d+\.\d\d) a month/.exec(README)?.[1];
    expect(extra).toBe((subMinute.usd - standard.usd).toFixed(2));
  });
});
