import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { costReport, withCostSection } from './report';
import { synthesizedTemplate } from './synth';

/**
 * `npm run cost`: synthesizes the stack in process and prints its idle cost (report.ts).
 * `npm run cost -- --readme` also writes the report into the README's cost section, which
 * test/infra/cost.test.ts holds to this output.
 */

const README = path.resolve(__dirname, '..', '..', 'README.md');

const report = costReport(synthesizedTemplate());
process.stdout.write(report);
if (process.argv.includes('--readme')) {
  writeFileSync(README, withCostSection(readFileSync(README, 'utf8'), report));
  process.stderr.write(`wrote the cost section of ${README}\n`);
}
