import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { generateLeads } from '../../../functions/shared/taobao/simulated-gateway';
import { runCli, summaryOf, tempDir } from './cli-process';
import { sortIds, startFixture, type Fixture } from './pipeline-fixture';

const ROOT = resolve(__dirname, '../../..');
let dir: { path: string; remove(): Promise<void> };
let fixture: Fixture;

beforeAll(async () => {
  dir = await tempDir('kill9');
});
afterAll(async () => {
  await fixture.close();
  await dir.remove();
});

function pollThenDie(state: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  const gw = fixture.gateway;
  const child = spawn(process.execPath, [join(ROOT, 'functions/cli/tsx.cjs'), join(__dirname, 'scripts/poll-then-die.ts'), state, gw.appKey, gw.appSecret, gw.sessionKey, gw.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  return new Promise((resolveExit) => child.on('exit', (_code, signal) => resolveExit({ signal, stdout })));
}

it('a runner killed with SIGKILL after enqueueing, before saving its queues, loses no lead: the next start rewinds the cursor', async () => {
  const first = generateLeads(12, { startId: '1000' });
  fixture = await startFixture(dir.path, first, { crm: () => ({ status: 200 }) });
  const config = await fixture.writeConfig('config');
  const state = `${dir.path}/state`;

  expect((await runCli(['dev', '--once', '--config', config, '--state-dir', state])).code).toBe(0);
  const later = generateLeads(7, { startId: '5000', seed: 2 });
  fixture.gateway.addLeads(later);

  const killed = await pollThenDie(state);
  expect(killed.signal).toBe('SIGKILL');
  expect(JSON.parse(killed.stdout.trim())).toMatchObject({ enqueued: 7, cursor: '5006' }); // the cursor on disk moved past the 7

  const after = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(after.code).toBe(0);
  expect(summaryOf(after)).toMatchObject({ delivered: 7, failed: 0, cursor: '5006' });
  const crm = fixture.receivers.crm!;
  expect(sortIds(crm.accepted)).toEqual(sortIds([...first, ...later].map((lead) => lead.id))); // each exactly once
});
