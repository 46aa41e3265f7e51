import { join } from 'node:path';
import { generateLeads } from '../../../functions/shared/taobao/simulated-gateway';
import { holdLock, type LockHolderProcess } from '../../support/lock-holder';
import { runCli, summaryOf, tempDir } from './cli-process';
import { startFixture, type Fixture } from './pipeline-fixture';

// Who may use a state directory: a short command that holds it is waited for.

let dir: { path: string; remove(): Promise<void> };
let fixture: Fixture;
let config: string;
let state: string;
const holders: LockHolderProcess[] = [];

beforeAll(async () => {
  dir = await tempDir('state-lock');
  state = join(dir.path, 'state');
  fixture = await startFixture(dir.path, generateLeads(3, { startId: '770000', seed: 'state-lock' }), { crm: () => ({ status: 200 }) });
  config = await fixture.writeConfig('config');
  expect(summaryOf(await runCli(['dev', '--once', '--config', config, '--state-dir', state]))).toMatchObject({ delivered: 3, cursor: '770002' });
});
afterEach(async () => {
  for (const holder of holders.splice(0)) {
    holder.kill();
    await holder.exited;
  }
});
afterAll(async () => {
  await fixture.close();
  await dir.remove();
});

async function hold(purpose: 'runner' | 'command', release: number | 'never'): Promise<LockHolderProcess> {
  const holder = await holdLock(join(state, 'lock'), purpose, release);
  holders.push(holder);
  return holder;
}

// The holders let go after 4 s: longer than a command takes to reach the lock, so that it finds
// the directory held (the unit tests of lock.ts check the wait itself at any speed).
it('status and dev wait for a command that holds the directory for a moment, then run', async () => {
  const first = await hold('command', 4_000);
  const look = await runCli(['status', '--json', '--state-dir', state, '--config', config]);
  expect(look.stderr).toBe('');
  expect(look.code).toBe(0);
  expect(JSON.parse(look.stdout)).toMatchObject({ cursor: '770002' });
  await first.exited;

  fixture.gateway.addLeads(generateLeads(2, { startId: '771000', seed: 'state-lock-2' }));
  const second = await hold('command', 4_000);
  const run = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(run.code).toBe(0);
  expect(summaryOf(run)).toMatchObject({ enqueued: 2, delivered: 2, failed: 0, cursor: '771001' });
  await second.exited;
});
