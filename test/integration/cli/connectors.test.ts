import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  startSimulatedBitable,
  type SimulatedBitable,
} from '../../../functions/local/simulators/feishu-bitable';
import { runCli, summaryOf, tempDir, writeJson } from './cli-process';

// Issue #15's operator experience through the real CLI and the strict Feishu simulator:
// `check --online` proves credentials and creates nothing; `dev --once` makes one record per
// lead; `status` shows the last record id; `send-test-lead` prints where its record landed.

const leads = generateLeads(12, { maxIdGap: 3 });
let dir: { path: string; remove(): Promise<void> };
let gateway: SimulatedGateway;
let feishu: SimulatedBitable;
let config: string;
let state: string;

const endpoint = (overrides: Record<string, unknown> = {}) => ({
  name: 'bitable',
  format: 'feishu-bitable',
  baseUrl: feishu.url,
  appId: feishu.appId,
  appSecret: feishu.appSecret,
  appToken: SIMULATED_BITABLE_APP_TOKEN,
  tableId: SIMULATED_BITABLE_TABLE_ID,
  ...overrides,
});

async function configWith(name: string, webhook: Record<string, unknown>): Promise<string> {
  return writeJson(join(dir.path, name), {
    top: { appKey: gateway.appKey, appSecret: gateway.appSecret, sessionKey: gateway.sessionKey, gatewayUrl: gateway.url },
    startFrom: 'all',
    webhooks: [webhook],
  });
}

beforeAll(async () => {
  dir = await tempDir('connectors');
  gateway = await startSimulatedGateway({ leads });
  feishu = await startSimulatedBitable();
  config = await configWith('config.json', endpoint());
  state = join(dir.path, 'state');
});
afterAll(async () => {
  await feishu.close();
  await gateway.close();
  await dir.remove();
});

it('check --online proves the credentials with one token and creates no record', async () => {
  const result = await runCli(['check', '--config', config, '--online']);
  expect(result.stdout).toMatch(
    /online:\n {2}bitable \(feishu-bitable\): credentials accepted \(a token was issued, valid \d+ s\)/,
  );
  expect(result.stdout).not.toContain('has no secret');
  expect(result.code).toBe(0);
  expect(feishu.tokenRequests).toBe(1);
  expect(feishu.records()).toHaveLength(0);
  expect(result.stdout + result.stderr).not.toContain(feishu.appSecret);
});

it('check --online with a wrong app secret names the vendor code, never the secret, and exits 1', async () => {
  const wrong = await configWith('wrong.json', endpoint({ appSecret: 'WRONG-SECRET-Ω' }));
  const result = await runCli(['check', '--config', wrong, '--online']);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/bitable \(feishu-bitable\): webhooks "bitable": no token: .*code 10014/);
  expect(result.stdout + result.stderr).not.toContain('WRONG-SECRET-Ω');
});

it('dev --once makes one record per lead, and status shows the last record id', async () => {
  const before = feishu.records().length;
  const run = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
  expect(run.code).toBe(0);
  expect(summaryOf(run)).toMatchObject({ enqueued: 12, delivered: 12, failed: 0 });
  const made = feishu.records().slice(before);
  expect(made.map((r) => r.fields['线索ID']).sort()).toEqual(leads.map((l) => l.id).sort());

  const status = await runCli(['status', '--config', config, '--state-dir', state]);
  expect(status.code).toBe(0);
  const line = status.stdout.split('\n').find((l) => l.trimStart().startsWith('bitable'));
  const recordIds = new Set(made.map((r) => r.recordId));
  const shown = /record (rec\w+)\)/.exec(line ?? '')?.[1];
  expect(shown !== undefined && recordIds.has(shown)).toBe(true);

  const written = [run.stdout, run.stderr, await readFile(join(state, 'handlers.log'), 'utf8')].join('\n');
  expect(written).toContain('lead delivered');
  expect(written).not.toContain(feishu.appSecret);
  expect(written).not.toMatch(/t-[A-Za-z0-9]{10,}/);
});

it('send-test-lead creates one test record and prints its id', async () => {
  const before = feishu.records().length;
  const result = await runCli(['send-test-lead', '--config', config, '--state-dir', state]);
  expect(result.code).toBe(0);
  const [record, ...more] = feishu.records().slice(before);
  expect(more).toHaveLength(0);
  expect(record?.recordId).toMatch(/^rec/);
  expect(result.stdout).toContain(`bitable (feishu-bitable): accepted, record ${record!.recordId}, HTTP 200`);
});
