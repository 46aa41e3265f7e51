import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRY_RUN_VENDORS } from '../../functions/local/simulators/dry-run';
import { parseForwarderSettings } from '../../functions/shared/config/parse-settings';
import { CONNECTOR_FORMATS } from '../../functions/shared/domain/settings';

/**
 * Each "Connect your CRM" section's dry run is what a user runs before trusting a connector with
 * real leads: its command must start that CRM's simulator on the port it says, and the endpoint
 * it says to paste must be what serve.ts prints there. (test/integration/cli/connectors.test.ts
 * runs serve.ts and proves that endpoint against the CLI.)
 */
const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const COMMAND = /node (functions\/cli\/tsx\.cjs) (functions\/local\/simulators\/serve\.ts) (\S+) (\d+)\n/g;

function section(title: string): string {
  const start = README.indexOf(`### ${title}`);
  expect(start).toBeGreaterThan(0);
  const ends = ['\n### ', '\n## '].map((heading) => README.indexOf(heading, start + 1)).filter((at) => at > 0);
  return README.slice(start, Math.min(...ends));
}

describe('README dry runs', () => {
  it.each(CONNECTOR_FORMATS)('%s: the command starts its simulator and the endpoint to paste is what it prints', (format) => {
    const vendor = DRY_RUN_VENDORS[format];
    const text = section(vendor.title);
    const commands = [...text.matchAll(COMMAND)];
    expect(commands.map((match) => match[3])).toEqual([format]);
    const [command] = commands;
    for (const file of [command![1]!, command![2]!]) expect(existsSync(join(ROOT, file))).toBe(true);
    const port = Number(command![4]);
    // The port serve.ts uses when none is given, so the command works with or without it.
    expect(port).toBe(vendor.port);

    const json = /```json\n([\s\S]*?)```/.exec(text.slice(command!.index))?.[1];
    const pasted = JSON.parse(json!) as Record<string, unknown>;
    expect(pasted).toEqual(vendor.endpoint(`http://127.0.0.1:${port}`));
    const [endpoint] = parseForwarderSettings({ webhooks: [pasted] }).webhooks;
    expect(endpoint).toMatchObject({ name: pasted.name, format });
  });

  it('names no other way to start a simulator, and no vendor serve.ts does not serve', () => {
    expect(README).not.toMatch(/feishu-bitable-serve|startSimulated/);
    for (const [, vendor] of README.matchAll(/simulators\/serve\.ts (\S+)/g))
      expect([...CONNECTOR_FORMATS, '<format>']).toContain(vendor);
  });
});
