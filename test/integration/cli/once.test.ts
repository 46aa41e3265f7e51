import { readFile } from 'node:fs/promises';
import { generateLeads, type SampleLead } from '../../../functions/local/simulators/alimama-gateway';
import type { ReceivedRequest } from '../../support/receiver';
import { runCli, summaryOf, tempDir } from './cli-process';
import { assertSigned, leadIdOf, sortIds, startFixture, type Fixture } from './pipeline-fixture';

// `dev --once --config` end to end: the real CLI against the simulated gateway and real local
// receivers, one state directory across runs.

let dir: { path: string; remove(): Promise<void> };
let fixture: Fixture;
let config: string;
const leads: SampleLead[] = generateLeads(25, { maxIdGap: 3 });
const ids = sortIds(leads.map((lead) => lead.id));
/** The flaky receiver fails the first attempt of every lead whose id ends in 0 or 5. */
const failedOnce = new Set<string>();

beforeAll(async () => {
  dir = await tempDir('once');
  fixture = await startFixture(dir.path, leads, {
    crm: () => ({ status: 200 }),
    flaky: (_n, request: ReceivedRequest) => {
      const id = leadIdOf(request);
      if (/[05]$/.test(id) && !failedOnce.has(id)) {
        failedOnce.add(id);
        return { status: 503, headers: { 'retry-after': '1' } };
      }
      return { status: 200 };
    },
  });
  config = await fixture.writeConfig('config');
});
afterAll(async () => {
  await fixture.close();
  await dir.remove();
});

const once = () => runCli(['dev', '--once', '--config', config, '--state-dir', `${dir.path}/state`]);

it('delivers every lead to every webhook exactly once, signed, retries included, and the summary says so', async () => {
  const result = await once();
  expect(result.code).toBe(0);
  const { crm, flaky } = fixture.receivers;
  expect(sortIds(crm!.accepted)).toEqual(ids);
  expect(sortIds(flaky!.accepted)).toEqual(ids);
  for (const request of [...crm!.requests, ...flaky!.requests]) {
    assertSigned(request);
    expect(request.headers['webhook-id']).toBe(`lead_${leadIdOf(request)}`);
  }
  expect(failedOnce.size).toBeGreaterThan(0);
  expect(summaryOf(result)).toEqual({
    enqueued: 25,
    delivered: crm!.accepted.length + flaky!.accepted.length,
    failed: 0,
    skipped: 0,
    cursor: ids.at(-1),
    retried: failedOnce.size,
    parked: 0,
  });
  // Nothing but progress on stderr: no SDK version notice, no handler JSON logs.
  expect(result.stderr).toBe('');
  expect(result.stdout).not.toContain('"level"');
});

it('sends nothing on a second run', async () => {
  const before = fixture.receivers.crm!.requests.length + fixture.receivers.flaky!.requests.length;
  const result = await once();
  expect(result.code).toBe(0);
  expect(summaryOf(result)).toMatchObject({ enqueued: 0, delivered: 0, failed: 0, cursor: ids.at(-1) });
  expect(fixture.receivers.crm!.requests.length + fixture.receivers.flaky!.requests.length).toBe(before);
});

it('sends only the leads that arrived since', async () => {
  const newer = generateLeads(4, { startId: (BigInt(ids.at(-1)!) + 10n).toString(), seed: 'newer' });
  fixture.gateway.addLeads(newer);
  const { crm, flaky } = fixture.receivers;
  const [crmBefore, flakyBefore] = [crm!.accepted.length, flaky!.accepted.length];
  const result = await once();
  expect(result.code).toBe(0);
  const newIds = sortIds(newer.map((lead) => lead.id));
  expect(sortIds(crm!.accepted.slice(crmBefore))).toEqual(newIds);
  expect(sortIds(flaky!.accepted.slice(flakyBefore))).toEqual(newIds);
  expect(summaryOf(result)).toMatchObject({ enqueued: 4, delivered: 8, failed: 0, cursor: newIds.at(-1) });
});

it("keeps the handlers' log JSON, one object a line (what CloudWatch Logs Insights parses)", async () => {
  const lines = (await readFile(`${dir.path}/state/handlers.log`, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  // Powertools' fields, as deployed; metrics are off (no EMF document).
  expect(entries.filter((entry) => '_aws' in entry)).toEqual([]);
  for (const entry of entries)
    expect(entry).toMatchObject({
      service: 'lead-forwarder-local',
      level: expect.any(String) as unknown,
      timestamp: expect.any(String) as unknown,
      function_request_id: expect.stringMatching(/^local-/) as unknown,
    });
  const polls = entries.filter((entry) => entry.message === 'poll finished');
  expect(polls[0]).toMatchObject({ function_name: 'lead-forwarder-local-poller', cold_start: true });
  expect(entries).toContainEqual(
    expect.objectContaining({ message: 'lead delivered', function_name: 'lead-forwarder-local-forwarder' }),
  );
});

it('exits 1 with a TOP error 7 line when a rate limit refuses its one poll before the first page', async () => {
  const later = generateLeads(2, { startId: '90000000', seed: 'banned' });
  fixture.gateway.addLeads(later);
  fixture.gateway.setFault({ kind: 'rate-limit', banSeconds: 600 });
  try {
    const result = await once();
    expect(result.code).toBe(1);
    expect(summaryOf(result)).toMatchObject({
      enqueued: 0,
      error: expect.stringContaining('TOP error 7 (rate limited)') as string,
    });
    expect(result.stderr).toContain(
      'poll failed: TOP error 7 (rate limited): the gateway refused the first page, so nothing was polled; run again once the ban ends',
    );
  } finally {
    fixture.gateway.setFault(undefined);
  }
  // Nothing was lost: the next run, with the ban over, sends what arrived.
  const after = await once();
  expect(after.code).toBe(0);
  expect(summaryOf(after)).toMatchObject({ enqueued: 2 });
});
