import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, startCli, tempDir, waitForOutput } from './cli-process';

// `lead-forwarder dev | head -2`: the reader goes away while the runner keeps writing.

it('stops cleanly when its output is closed, leaving no lock or runner file behind', async () => {
  const dir = await tempDir('pipe');
  try {
    const state = join(dir.path, 'state');
    const cli = startCli(['dev', '--state-dir', state]);
    await waitForOutput(cli, /inbox <- lead/, 30_000);
    cli.child.stdout?.destroy();
    const result = await finished(cli, 30_000);
    expect(result.stderr).not.toContain('EPIPE');
    expect(result.stderr).toContain('stopping: finishing the poll and the deliveries in flight');
    expect(result.code).toBe(0);
    for (const file of ['lock', 'runner.json']) await expect(access(join(state, file))).rejects.toMatchObject({ code: 'ENOENT' });
  } finally {
    await dir.remove();
  }
}, 70_000);
