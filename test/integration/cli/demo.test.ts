import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { finished, runCli, startCli, tempDir, waitForOutput } from './cli-process';

// `npm start` for a newcomer: the demo delivers leads within seconds and Ctrl-C leaves the
// state directory ready for the next start.

it('delivers leads to its inbox and stops cleanly on SIGINT with the state kept', async () => {
  const dir = await tempDir('demo');
  try {
    const state = join(dir.path, 'state');
    const cli = startCli(['dev', '--state-dir', state]);
    // The demo's mobiles are encrypted to a key the demo configures: the forwarder opens them.
    await waitForOutput(cli, /inbox <- lead \d+ · .+ · mobile decrypted · signature ok/, 30_000);
    expect(existsSync(join(state, 'runner.json'))).toBe(true);
    cli.child.kill('SIGINT');
    const result = await finished(cli, 20_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`stopped; state kept in ${state}`);
    // Personal data stays masked: the inbox line shows one character of the name at most.
    expect(result.stdout).not.toMatch(/\*\*[^\s·]/);
    expect(result.stdout).not.toContain('mobile encrypted');
    expect(result.stdout).not.toMatch(/138\d{8}/);
    expect(existsSync(join(state, 'dynamo'))).toBe(true);
    expect(existsSync(join(state, 'runner.json'))).toBe(false);
    expect(existsSync(join(state, 'lock'))).toBe(false);

    const status = await runCli(['status', '--json', '--state-dir', state]);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { cursor: string | null; endpoints: { name: string; delivered?: number }[] };
    expect(report.cursor).toMatch(/^\d+$/);
    expect(report.endpoints[0]).toMatchObject({ name: 'demo-inbox' });
    expect(report.endpoints[0]!.delivered).toBeGreaterThan(0);

    // A stopped demo still knows its webhook's name, so a typo is caught before anything moves.
    const typo = await runCli(['replay', '--endpoint', 'demo-inbx', '--state-dir', state]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no webhook named "demo-inbx" (configured: demo-inbox)');
  } finally {
    await dir.remove();
  }
});
