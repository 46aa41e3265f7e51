import { spawn } from 'node:child_process';
import { readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { finished, runCli, startCli, summaryOf, tempDir, waitUntil, writeJson, type RunningCli } from './cli-process';
import { leadIdOf, sortIds, startFixture, type Fixture } from './pipeline-fixture';

const ROOT = resolve(__dirname, '../../..');
let dir: { path: string; remove(): Promise<void> };
const fixtures: Fixture[] = [];
/** Runners a test started: one left running by a failed test would keep jest from exiting. */
const runners: RunningCli[] = [];

beforeAll(async () => {
  dir = await tempDir('kill9');
});
afterAll(async () => {
  for (const runner of runners)
    if (runner.child.exitCode === null && runner.child.signalCode === null) runner.child.kill('SIGKILL');
  await Promise.all(fixtures.map((fixture) => fixture.close()));
  await dir.remove();
});

function pollThenDie(fixture: Fixture, state: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  const gw = fixture.gateway;
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'functions/cli/tsx.cjs'),
      join(__dirname, 'scripts/poll-then-die.ts'),
      state,
      gw.appKey,
      gw.appSecret,
      gw.sessionKey,
      gw.url,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
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
  expect(look.stdout).toContain(
    'restart       the runner stopped without saving its queues: its next start goes back to cursor 1011',
  );
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).toMatchObject({
    cursor: '5006',
    cursorAfterRestart: '1011',
  });

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
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).toMatchObject({
    cursor: '1011',
    cursorAfterRestart: null,
  });

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
  expect(summaryOf(await runCli(['dev', '--once', '--config', config, '--state-dir', state]))).toMatchObject({
    delivered: 5,
    cursor: '1004',
  });

  await rename(join(state, 'queues.json'), join(state, 'queues.json.bad'));
  const later = generateLeads(3, { startId: '2000', seed: 5 });
  fixture.gateway.addLeads(later);
  // Without saved queues there is nothing to go back to: status says nothing of a restart.
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).not.toHaveProperty(
    'cursorAfterRestart',
  );
  const after = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(after.code).toBe(0);
  expect(summaryOf(after)).toMatchObject({ enqueued: 3, delivered: 3, cursor: '2002' }); // not a first run again
  // A clean stop leaves nothing to go back to either.
  expect(JSON.parse((await runCli(['status', '--json', '--state-dir', state, '--config', config])).stdout)).not.toHaveProperty(
    'cursorAfterRestart',
  );
  expect(sortIds(fixture.receivers.crm!.accepted)).toEqual(sortIds([...leads, ...later].map((lead) => lead.id)));
});

it('startFrom latest: a runner killed after its second poll, before the periodic save, still delivers what that poll queued', async () => {
  const existing = generateLeads(5, { startId: '1000', seed: 6 });
  let hold = true;
  // While held, the receiver drops the connection: the leads stay undelivered in the killed runner's memory.
  const fixture = await startFixture(dir.path, existing, { crm: () => (hold ? 'reset' : { status: 200 }) });
  fixtures.push(fixture);
  const configFile = await fixture.writeConfig('config-latest');
  await writeJson(configFile, {
    ...(JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>),
    startFrom: 'latest',
  });
  const state = `${dir.path}/latest`;

  const child = spawn(
    process.execPath,
    [join(ROOT, 'functions/cli/tsx.cjs'), join(__dirname, 'scripts/poll-twice-then-die.ts'), state, configFile],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
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
  expect(polls).toEqual([
    { enqueued: 0, cursor: '1004' },
    { enqueued: 3, cursor: '2002' },
  ]);

  hold = false;
  const after = await runCli(['dev', '--once', '--config', configFile, '--state-dir', state]);
  expect(after.code).toBe(0);
  // Saved right after the second poll: the restart finds them on the queue, cursor unchanged.
  expect(summaryOf(after)).toMatchObject({ delivered: 3, failed: 0, cursor: '2002' });
  expect(sortIds(fixture.receivers.crm!.accepted)).toEqual(sortIds(later.map((lead) => lead.id)));
});

interface SavedQueues {
  takenAt: string;
  leads: { body: string; hiddenUntil?: number; inFlight?: true }[];
}

async function savedQueues(state: string): Promise<SavedQueues | undefined> {
  try {
    return JSON.parse(await readFile(join(state, 'queues.json'), 'utf8')) as SavedQueues;
  } catch {
    return undefined; // not written yet
  }
}

function savedLead(saved: SavedQueues, id: string): SavedQueues['leads'][number] | undefined {
  return saved.leads.find((message) => (JSON.parse(message.body) as { id: string }).id === id);
}

// The forwarder holds a lead for the 720 s visibility timeout while its webhook answers. After a
// kill -9 nobody holds it any more: it must go out at the next start, not 12 minutes later,
// while a lead the forwarder put off with a backoff keeps waiting out that backoff.
it('a runner killed with SIGKILL while a webhook is slow: the next start delivers that lead within seconds, and a backoff is kept', async () => {
  const [slow, refused] = generateLeads(2, { startId: '1000', seed: 8 });
  const RETRY_AFTER_SECONDS = 20;
  const attempts = new Map<string, number[]>(); // lead id → when each request arrived
  const fixture = await startFixture(dir.path, [slow!, refused!], {
    crm: (_n, request) => {
      const id = leadIdOf(request);
      const times = attempts.get(id) ?? [];
      times.push(Date.now());
      attempts.set(id, times);
      if (times.length > 1) return { status: 200 };
      // Answered after the kill, so to a dead connection: not delivered.
      if (id === slow!.id) return { status: 200, delayMs: 8_000 };
      return { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } };
    },
  });
  fixtures.push(fixture);
  const config = await fixture.writeConfig('config-slow');
  const state = `${dir.path}/slow`;

  const first = startCli(['dev', '--config', config, '--state-dir', state]);
  runners.push(first);
  const slowArrived = await waitUntil('the slow webhook gets its request', () => attempts.get(slow!.id)?.[0], 30_000);
  // Kill only once a save shows the runner mid-delivery: the slow lead held by its receive, the
  // refused one waiting out its backoff (the receive's 720 s would end much later).
  const saved = await waitUntil(
    'a save while the slow delivery is in flight',
    async () => {
      const queues = await savedQueues(state);
      if (queues === undefined || Date.parse(queues.takenAt) <= slowArrived) return undefined;
      const backoff = savedLead(queues, refused!.id)?.hiddenUntil;
      return savedLead(queues, slow!.id) !== undefined && backoff !== undefined && backoff < Date.parse(queues.takenAt) + 100_000
        ? queues
        : undefined;
    },
    20_000,
  );
  const { pid } = JSON.parse(await readFile(join(state, 'runner.json'), 'utf8')) as { pid: number };
  process.kill(pid, 'SIGKILL');
  expect((await finished(first, 10_000)).signal).toBe('SIGKILL');
  // On disk: nobody's backoff, only the dead runner's receive, held the slow lead back.
  expect(savedLead(saved, slow!.id)).toMatchObject({ inFlight: true });
  expect(savedLead(saved, slow!.id)).not.toHaveProperty('hiddenUntil');

  const second = startCli(['dev', '--config', config, '--state-dir', state]);
  runners.push(second);
  const crm = fixture.receivers.crm!;
  await waitUntil(
    'the restarted runner delivers the slow lead',
    () => (crm.accepted.includes(slow!.id) ? true : undefined),
    15_000,
  );
  await waitUntil(
    'the refused lead is delivered after its backoff',
    () => (crm.accepted.includes(refused!.id) ? true : undefined),
    40_000,
  );
  second.child.kill('SIGINT');
  expect((await finished(second, 20_000)).code).toBe(0);

  expect(sortIds(crm.accepted)).toEqual(sortIds([slow!.id, refused!.id])); // each exactly once
  const [refusedAt, retriedAt] = attempts.get(refused!.id)!;
  expect(retriedAt! - refusedAt!).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000 - 1000); // the restart kept the backoff
  expect((await savedQueues(state))?.leads).toEqual([]);
});
