import { spawn } from 'node:child_process';
import { readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generateLeads } from '../../../functions/shared/taobao/simulated-gateway';
import { runCli, summaryOf, tempDir, writeJson } from './cli-process';
import { sortIds, startFixture, type Fixture } from './pipeline-fixture';

const ROOT = resolve(__dirname, '../../..');
let dir: { path: string; remove(): Promise<void> };
const fixtures: Fixture[] = [];

beforeAll(async () => {
  dir = await tempDir('kill9');
});
afterAll(async () => {
  await Promise.all(fixtures.map((fixture) => fixture.close()));
  await dir.remove();
});

function pollThenDie(fixture: Fixture, state: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  const gw = fixture.gateway;
  const child = spawn(process.execPath, [join(ROOT, 'functions/cli/tsx.cjs'), join(__dirname, 'scripts/poll-then-die.ts'), state, gw.appKey, gw.appSecret, gw.sessionKey, gw.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  return new Promise((resolveExit) => child.on('exit', (_code, signal) => resolveExit({ signal, stdout })));
}

it('a runner killed with SIGKILL after enqueueing, before saving its queues, loses no lead: the next start rewinds the cursor', async () => {
  const first = generateLeads(12, { startId: '1000' });
  const fixture = await startFixture(dir.path, first, { crm: () => ({ status: 200 }) });
  fixtures.push(fixture);
  const config = await fixture.writeConfig('config');
  const state = `${dir.path}/state`;

  expect((await runCli(['dev', '--once', '--config', config, '--state-dir', state])).code).toBe(0);
  const later = generateLeads(7, { startId: '5000', seed: 2 });
  fixture.gateway.addLeads(later);

  const killed = await pollThenDie(fixture, state);
  expect(killed.signal).toBe('SIGKILL');
  expect(JSON.parse(killed.stdout.trim())).toMatchObject({ enqueued: 7, cursor: '5006' }); // the cursor on disk moved past the 7

  // status only looks, and says where the next start will go back to.
  const look = await runCli(['status', '--state-dir', state, '--config', config]);
  expect(look.code).toBe(0);
  expect(look.stdout).toContain('restart       the runner stopped without saving its queues: its next start goes back to cursor 1011');
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).toMatchObject({ cursor: '5006', cursorAfterRestart: '1011' });

  const after = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(after.code).toBe(0);
  expect(summaryOf(after)).toMatchObject({ delivered: 7, failed: 0, cursor: '5006' });
  const crm = fixture.receivers.crm!;
  expect(sortIds(crm.accepted)).toEqual(sortIds([...first, ...later].map((lead) => lead.id))); // each exactly once
});

// The periodic save comes 5 s after the start, the first poll right away: a kill in between
// leaves a source that the saved queues do not list, with its cursor past leads held only in memory.
it('a runner killed with SIGKILL before its first save loses no lead: the source starts over from startFrom', async () => {
  const leads = generateLeads(12, { startId: '1000', seed: 3 });
  const fixture = await startFixture(dir.path, leads, { crm: () => ({ status: 200 }) });
  fixtures.push(fixture);
  const config = await fixture.writeConfig('config-fresh');
  const state = `${dir.path}/fresh`; // a new state directory: no table, no saved queues

  const killed = await pollThenDie(fixture, state);
  expect(killed.signal).toBe('SIGKILL');
  expect(JSON.parse(killed.stdout.trim())).toMatchObject({ enqueued: 12, cursor: '1011' }); // all 12 only in memory
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).toMatchObject({ cursor: '1011', cursorAfterRestart: null });

  const after = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(after.code).toBe(0);
  expect(summaryOf(after)).toMatchObject({ enqueued: 12, delivered: 12, failed: 0, cursor: '1011' });
  expect(sortIds(fixture.receivers.crm!.accepted)).toEqual(sortIds(leads.map((lead) => lead.id)));
});

it('saved queues moved aside lose what they held, and nothing more: the cursor stays', async () => {
  const leads = generateLeads(5, { startId: '1000', seed: 4 });
  const fixture = await startFixture(dir.path, leads, { crm: () => ({ status: 200 }) });
  fixtures.push(fixture);
  const config = await fixture.writeConfig('config-aside');
  const state = `${dir.path}/aside`;
  expect(summaryOf(await runCli(['dev', '--once', '--config', config, '--state-dir', state]))).toMatchObject({ delivered: 5, cursor: '1004' });

  await rename(join(state, 'queues.json'), join(state, 'queues.json.bad'));
  const later = generateLeads(3, { startId: '2000', seed: 5 });
  fixture.gateway.addLeads(later);
  // Without saved queues there is nothing to go back to: status says nothing of a restart.
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).not.toHaveProperty('cursorAfterRestart');
  const after = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(after.code).toBe(0);
  expect(summaryOf(after)).toMatchObject({ enqueued: 3, delivered: 3, cursor: '2002' }); // not a first run again
  // A clean stop leaves nothing to go back to either.
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).not.toHaveProperty('cursorAfterRestart');
  expect(sortIds(fixture.receivers.crm!.accepted)).toEqual(sortIds([...leads, ...later].map((lead) => lead.id)));
});

it('startFrom latest: a runner killed after its second poll, before the periodic save, still delivers what that poll queued', async () => {
  const existing = generateLeads(5, { startId: '1000', seed: 6 });
  let hold = true;
  // While held, the receiver drops the connection: the leads stay undelivered in the killed runner's memory.
  const fixture = await startFixture(dir.path, existing, { crm: () => (hold ? 'reset' : { status: 200 }) });
  fixtures.push(fixture);
  const configFile = await fixture.writeConfig('config-latest');
  await writeJson(configFile, { ...(JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>), startFrom: 'latest' });
  const state = `${dir.path}/latest`;

  const child = spawn(process.execPath, [join(ROOT, 'functions/cli/tsx.cjs'), join(__dirname, 'scripts/poll-twice-then-die.ts'), state, configFile], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const polls: { enqueued: number; cursor: string }[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const later = generateLeads(3, { startId: '2000', seed: 7 });
  createInterface({ input: child.stdout }).on('line', (line) => {
    polls.push(JSON.parse(line) as { enqueued: number; cursor: string });
    if (polls.length === 1) {
      fixture.gateway.addLeads(later); // between the first run and the second poll
      child.stdin.write('go\n');
    }
  });
  expect(await exited).toBe('SIGKILL');
  expect(polls).toEqual([{ enqueued: 0, cursor: '1004' }, { enqueued: 3, cursor: '2002' }]);

  hold = false;
  const after = await runCli(['dev', '--once', '--config', configFile, '--state-dir', state]);
  expect(after.code).toBe(0);
  // Saved right after the second poll: the restart finds them on the queue, cursor unchanged.
  expect(summaryOf(after)).toMatchObject({ delivered: 3, failed: 0, cursor: '2002' });
  expect(sortIds(fixture.receivers.crm!.accepted)).toEqual(sortIds(later.map((lead) => lead.id)));
});
