import { createServer } from 'node:net';
import { join } from 'node:path';
import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { holdLock, type LockHolderProcess } from '../../support/lock-holder';
import { finished, runCli, startCli, summaryOf, tempDir, waitForOutput, writeJson } from './cli-process';
import { startFixture, type Fixture } from './pipeline-fixture';

// Who may use a state directory, as commands see it: the lock decides, for `dev` and for the
// operator commands alike, and a short command that holds it is waited for.

let dir: { path: string; remove(): Promise<void> };
let fixture: Fixture;
let config: string;
let state: string;
const holders: LockHolderProcess[] = [];

beforeAll(async () => {
  dir = await tempDir('state-lock');
  state = join(dir.path, 'state');
  fixture = await startFixture(dir.path, generateLeads(3, { startId: '770000', seed: 'state-lock' }), {
    crm: () => ({ status: 200 }),
  });
  config = await fixture.writeConfig('config');
  expect(summaryOf(await runCli(['dev', '--once', '--config', config, '--state-dir', state]))).toMatchObject({
    delivered: 3,
    cursor: '770002',
  });
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

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A runner.json as a runner killed with SIGKILL leaves it: its servers are gone with it. */
async function writeRunnerFile(pid: number): Promise<{ dynamo: string; sqs: string }> {
  const endpoints = { dynamo: `http://127.0.0.1:${await closedPort()}`, sqs: `http://127.0.0.1:${await closedPort()}` };
  const queue = (name: string): Record<string, string> => ({
    name,
    url: `${endpoints.sqs}/000000000000/${name}`,
    arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
  });
  await writeJson(join(state, 'runner.json'), {
    pid,
    endpoints,
    table: 'lead-forwarder',
    queues: { leads: queue('leads'), deadLetters: queue('leads-dlq') },
  });
  return endpoints;
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

it('commands talk to a running runner, which holds the lock its runner.json names', async () => {
  const cli = startCli(['dev', '--config', config, '--state-dir', state]);
  try {
    await waitForOutput(cli, /polling every \d+ s/, 30_000);
    const look = await runCli(['status', '--json', '--state-dir', state, '--config', config]);
    expect(look.code).toBe(0);
    expect(JSON.parse(look.stdout)).toMatchObject({
      target: `local state in ${state} (runner running, pid ${cli.child.pid})`,
      cursor: '771001',
    });
  } finally {
    cli.child.kill('SIGINT');
    expect((await finished(cli, 20_000)).code).toBe(0);
  }
});

it('a runner.json whose pid does not hold the lock is a runner gone, even if that pid is alive (reused)', async () => {
  // This test process stands for the unrelated program that got the killed runner's pid.
  await writeRunnerFile(process.pid);
  const look = await runCli(['status', '--json', '--state-dir', state, '--config', config]);
  expect(look.stderr).toBe('');
  expect(look.code).toBe(0);
  expect(JSON.parse(look.stdout)).toMatchObject({ target: `local state in ${state} (runner stopped)`, cursor: '771001' });
});

it('says the runner does not answer, instead of a bare ECONNREFUSED, when the pid holding the lock has no servers', async () => {
  const holder = await hold('runner', 'never');
  const endpoints = await writeRunnerFile(holder.pid);
  const look = await runCli(['status', '--state-dir', state, '--config', config]);
  expect(look.code).toBe(1);
  expect(look.stdout).toBe('');
  expect(look.stderr.trim()).toBe(
    `lead-forwarder status: the runner (pid ${holder.pid}) using ${state} does not answer at ${endpoints.dynamo}: it has stopped or is stopping; run the command again. ` +
      `If this repeats while no runner runs, pid ${holder.pid} is another program now (the runner was killed and its pid reused): delete ${join(state, 'lock')} and ${join(state, 'runner.json')}`,
  );
});
