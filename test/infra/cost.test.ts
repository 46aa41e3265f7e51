import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { referencedCustomMetrics } from '../../infra/cost/model';
import { BASE_PARAMETERS, costReport, costSection, scenarios } from '../../infra/cost/report';
import { synthesizedTemplate } from '../../infra/cost/synth';
import { DeployedTemplate } from '../../infra/cost/template';
import { USAGE } from '../../infra/cost/usage';
import { METRICS_NAMESPACE } from '../../infra/metrics';

/** `npm run cost` on the real stack, and the README's cost section that is generated from it. */

const json = synthesizedTemplate();
const README = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the idle cost of the stack', () => {
  it('is what the README says (regenerate with `npm run cost -- --readme`)', () => {
    expect(costSection(README)).toBe(costReport(json));
  });

  it('counts only metrics the stack watches as what an idle poll publishes', () => {
    const referenced = referencedCustomMetrics(new DeployedTemplate(json, BASE_PARAMETERS), METRICS_NAMESPACE);
    for (const name of USAGE.idlePollMetrics) expect(referenced).toContain(name);
  });

  it('meets the targets of DESIGN §8 that the features allow (README: what is left and why)', () => {
    const { standard, lean, subMinute } = scenarios(json);
    expect(lean).toBeDefined();
    // Lean: everything but the dashboard and the metrics only it reads.
    expect(standard.usd - lean!.usd).toBeGreaterThan(3);
    // Sub-minute polling adds at most $2 a month at rate(10 seconds).
    expect(subMinute.usd - standard.usd).toBeLessThanOrEqual(2);
    // No customer-managed key is left, and no alarm is high-resolution at the default schedule.
    expect(standard.items.find((item) => item.key === 'kmsKeys')!.usd).toBe(0);
    expect(standard.items.find((item) => item.key === 'alarms')!.detail).not.toMatch(/high-resolution/);
  });
});
