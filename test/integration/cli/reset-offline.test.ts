import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { runCli, summaryOf, tempDir } from './cli-process';
import { sortIds, startFixture } from './pipeline-fixture';

// reset-cursor --to ID checks ID against the newest lead at the gateway. When the gateway cannot
// be asked, only a move back (which re-reads leads the ledger knows) may go ahead.

it('with the gateway unreachable, refuses an id above the cursor and allows one below it', async () => {
  const dir = await tempDir('reset-offline');
  const leads = generateLeads(5, { startId: '770000', seed: 'offline' });
  const ids = sortIds(leads.map((lead) => lead.id));
  const fixture = await startFixture(dir.path, leads, { crm: () => ({ status: 200 }) });
  try {
    const config = await fixture.writeConfig('config');
    const state = `${dir.path}/state`;
    expect(summaryOf(await runCli(['dev', '--once', '--config', config, '--state-dir', state]))).toMatchObject({
      delivered: 5,
      cursor: ids.at(-1),
    });
    await fixture.gateway.close();

    const cursor = async (): Promise<unknown> =>
      (JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout) as { cursor: unknown })
        .cursor;
    const ahead = await runCli(['reset-cursor', '--to', `${ids.at(-1)}9`, '--yes', '--state-dir', state, '--config', config]);
    expect(ahead.code).toBe(1);
    expect(ahead.stderr).toContain(`could not ask the gateway for the newest lead`);
    expect(ahead.stderr).toContain(
      `above the cursor (${ids.at(-1)!}) an unchecked id could skip leads for good; nothing was changed`,
    );
    expect(await cursor()).toBe(ids.at(-1));

    const back = await runCli(['reset-cursor', '--to', ids[1]!, '--yes', '--state-dir', state, '--config', config]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`${ids[1]!} is not above the cursor, so it only re-reads leads`);
    expect(await cursor()).toBe(ids[1]);
  } finally {
    await fixture.close();
    await dir.remove();
  }
});
