import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { finished, runCli, startCli, summaryOf, tempDir, waitForOutput, writeJson } from './cli-process';
import { sortIds, startFixture, SECRET } from './pipeline-fixture';

// fauxqs keeps nothing on disk: the runner saves the queues when it stops and puts them back
// when it starts, so Ctrl-C in the middle of retries loses no lead.

it('keeps leads that wait for a retry across a Ctrl-C and delivers them at the next start', async () => {
  const dir = await tempDir('persist');
  let down = true;
  const leads = generateLeads(3, { startId: '770000', seed: 'persist' });
  const fixture = await startFixture(dir.path, leads, { crm: () => (down ? { status: 503 } : { status: 200 }) });
  try {
    const state = join(dir.path, 'state');
    const { gateway, receivers } = fixture;
    const config = await writeJson(join(dir.path, 'config.json'), {
      top: { appKey: gateway.appKey, appSecret: gateway.appSecret, sessionKey: gateway.sessionKey, gatewayUrl: gateway.url },
      startFrom: 'all',
      webhooks: [{ name: 'crm', url: receivers.crm!.url, secret: SECRET }],
    });
    const cli = startCli(['dev', '--config', config, '--state-dir', state]);
    await waitForOutput(cli, /forwarded 3 leads: crm 0 delivered, 3 retrying/, 20_000);
    cli.child.kill('SIGINT');
    expect((await finished(cli, 20_000)).code).toBe(0);

    const savedText = await readFile(join(state, 'queues.json'), 'utf8');
    const saved = JSON.parse(savedText) as { leads: { body: string }[] };
    expect(sortIds(saved.leads.map((m) => (JSON.parse(m.body) as { id: string }).id))).toEqual(['770000', '770001', '770002']);
    const status = await runCli(['status', '--json', '--state-dir', state]);
    const queue = (JSON.parse(status.stdout) as { leadsQueue: { waiting: number; inFlight: number; delayed: number } })
      .leadsQueue;
    expect(queue.waiting + queue.inFlight + queue.delayed).toBe(3);
    // status only reads: the saved queues (their backoffs and receive counts) are as the runner left them.
    expect(await readFile(join(state, 'queues.json'), 'utf8')).toBe(savedText);

    down = false;
    const result = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
    expect(result.code).toBe(0);
    expect(summaryOf(result)).toMatchObject({ enqueued: 0, delivered: 3, failed: 0, cursor: '770002' });
    expect(sortIds(receivers.crm!.accepted)).toEqual(['770000', '770001', '770002']);
  } finally {
    await fixture.close();
    await dir.remove();
  }
});
