import { chmod, stat } from 'node:fs/promises';
import { TEST_MOBILE } from '../../../functions/cli/test-lead';
import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { runCli, summaryOf, tempDir } from './cli-process';
import { assertSigned, leadIdOf, sortIds, startFixture, type Fixture } from './pipeline-fixture';

// The operator commands against the local state of a stopped runner: status, replay,
// reset-cursor and send-test-lead, each checked by what ends up at the receivers.

let dir: { path: string; remove(): Promise<void> };
let fixture: Fixture;
let state: string;
const leads = generateLeads(6, { startId: '880000', seed: 'operate' });
const ids = sortIds(leads.map((lead) => lead.id));
let pickyAccepts = false;

beforeAll(async () => {
  dir = await tempDir('operate');
  state = `${dir.path}/state`;
  fixture = await startFixture(dir.path, leads, {
    crm: () => ({ status: 200 }),
    picky: () => (pickyAccepts ? { status: 200 } : { status: 422, body: '{"error":"unknown field page_name"}' }),
    late: () => ({ status: 200 }),
  });
});
afterAll(async () => {
  await fixture.close();
  await dir.remove();
});

async function status(config: string): Promise<Record<string, unknown>> {
  const result = await runCli(['status', '--json', '--state-dir', state, '--config', config]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

it('parks what an endpoint refuses, shows it in status, and replays it once the endpoint is fixed', async () => {
  const config = await fixture.writeConfig('two', ['crm', 'picky']);
  const before = Date.now();
  const first = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  const after = Date.now();
  expect(first.code).toBe(1);
  expect(summaryOf(first)).toMatchObject({ enqueued: 6, delivered: 6, failed: 6, parked: 6, cursor: ids.at(-1) });
  expect(first.stdout).toContain('HTTP 422 from picky');

  const parked = await status(config);
  expect(parked).toMatchObject({ cursor: ids.at(-1), deadLetters: 6, leadsQueue: { waiting: 0, inFlight: 0, delayed: 0 } });
  expect(parked.endpoints).toEqual([expect.objectContaining({ name: 'crm', delivered: 6 }), { name: 'picky' }]);
  // Lead age at delivery, as the forwarder stored it with the endpoint's status: each between
  // the run's start and end, less when the lead was created (tenths of a second).
  const created = leads.map((lead) => lead.gmt_create!);
  const ages = (parked.endpoints as { recentAges?: number[] }[])[0]!.recentAges!;
  expect(ages).toHaveLength(6);
  for (const age of ages) {
    expect(age).toBeGreaterThanOrEqual((before - Math.max(...created)) / 1000 - 0.05);
    expect(age).toBeLessThanOrEqual((after - Math.min(...created)) / 1000 + 0.05);
  }
  const text = await runCli(['status', '--state-dir', state, '--config', config]);
  expect(text.stdout).toContain('lead age      at delivery (accepted minus gmt_create)');
  const sorted = [...ages].sort((x, y) => x - y);
  expect(text.stdout).toContain(
    `  crm    p50 ${sorted[2]!.toFixed(1)} s p95 ${sorted[5]!.toFixed(1)} s over the last 6, latest ${ages[5]!.toFixed(1)} s`,
  );
  expect(text.stdout).not.toMatch(/picky +p50/);

  pickyAccepts = true;
  const replay = await runCli(['replay', '--endpoint', 'picky', '--state-dir', state, '--config', config]);
  expect(replay.code).toBe(0);
  expect(replay.stdout).toContain('moved 6 leads back to the leads queue');

  const crmBefore = fixture.receivers.crm!.requests.length;
  const second = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(second.code).toBe(0);
  expect(summaryOf(second)).toMatchObject({ enqueued: 0, delivered: 6, failed: 0, parked: 0 });
  expect(sortIds(fixture.receivers.picky!.accepted)).toEqual(ids);
  // The ledger kept crm from getting the replayed leads a second time.
  expect(fixture.receivers.crm!.requests.length).toBe(crmBefore);
});

it('reset-cursor --to ID back-fills a new webhook with the leads above ID, and only it', async () => {
  const config = await fixture.writeConfig('three', ['crm', 'picky', 'late']);
  const from = ids[ids.length - 3]!;
  const refused = await runCli(['reset-cursor', '--to', from, '--state-dir', state, '--config', config]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('pass --yes');

  // An id past the newest lead (a typo) would skip leads that do not exist yet: refused, nothing changed.
  const typo = await runCli(['reset-cursor', '--to', `${ids.at(-1)}0`, '--yes', '--state-dir', state, '--config', config]);
  expect(typo.code).toBe(1);
  expect(typo.stderr).toContain(`${ids.at(-1)}0 is above the newest lead (${ids.at(-1)})`);
  expect(await status(config)).toMatchObject({ cursor: ids.at(-1) });

  const reset = await runCli(['reset-cursor', '--to', from, '--yes', '--state-dir', state, '--config', config]);
  expect(reset.code).toBe(0);
  expect(reset.stdout).toContain(`cursor: ${ids.at(-1)} -> ${from}`);

  const counts = () => [fixture.receivers.crm!.requests.length, fixture.receivers.picky!.requests.length];
  const before = counts();
  const result = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(result.code).toBe(0);
  expect(summaryOf(result)).toMatchObject({ enqueued: 2, delivered: 2, failed: 0, cursor: ids.at(-1) });
  expect(sortIds(fixture.receivers.late!.accepted)).toEqual(ids.slice(-2));
  expect(counts()).toEqual(before);
});

it('reset-cursor --to latest asks the gateway for the newest lead and skips everything up to it', async () => {
  const config = await fixture.writeConfig('three', ['crm', 'picky', 'late']);
  const newer = generateLeads(3, { startId: '880100', seed: 'skipped' });
  fixture.gateway.addLeads(newer);
  fixture.gateway.clearRequests();
  const reset = await runCli(['reset-cursor', '--to', 'latest', '--yes', '--state-dir', state, '--config', config]);
  expect(reset.code).toBe(0);
  expect(fixture.gateway.requests).toEqual([expect.objectContaining({ outcome: 'ok', servedIds: ['880102'] })]);
  expect(await status(config)).toMatchObject({ cursor: '880102' });
  const result = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(summaryOf(result)).toMatchObject({ enqueued: 0, delivered: 0, cursor: '880102' });
});

it('send-test-lead sends one signed test lead to the named webhook only', async () => {
  const config = await fixture.writeConfig('three', ['crm', 'picky', 'late']);
  const before = [fixture.receivers.picky!.requests.length, fixture.receivers.late!.requests.length];
  const result = await runCli(['send-test-lead', '--endpoint', 'crm', '--state-dir', state, '--config', config]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/crm \(standard\): accepted, HTTP 200/);
  const request = fixture.receivers.crm!.requests.at(-1)!;
  assertSigned(request);
  expect(request.json).toMatchObject({
    type: 'lead.created',
    test: true,
    data: { mobile: TEST_MOBILE, mobile_encrypted: false },
  });
  expect(request.headers['webhook-id']).toBe(`test_${leadIdOf(request)}`);
  expect([fixture.receivers.picky!.requests.length, fixture.receivers.late!.requests.length]).toEqual(before);

  // A refusal shows the receiver's own answer (the lead is synthetic, so it may be shown).
  pickyAccepts = false;
  const refused = await runCli(['send-test-lead', '--endpoint', 'picky', '--state-dir', state, '--config', config]);
  pickyAccepts = true;
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(
    /picky \(standard\): refused, HTTP 422 in \d+ ms, answered "\{"error":"unknown field page_name"\}": HTTP 422 from picky \(a real lead would be parked/,
  );

  const unknown = await runCli(['send-test-lead', '--endpoint', 'nope', '--state-dir', state, '--config', config]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('no webhook named "nope" (configured: crm, picky, late)');
});

it('makes the state directory private (0700) again when a command opens it, since it holds the queued leads', async () => {
  const config = await fixture.writeConfig('perm', ['crm']);
  await chmod(state, 0o755);
  expect((await runCli(['status', '--state-dir', state, '--config', config])).code).toBe(0);
  expect((await stat(state)).mode & 0o777).toBe(0o700);
});
