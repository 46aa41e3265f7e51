import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  startSimulatedBitable,
} from '../../../functions/local/simulators/feishu-bitable';
import { LEAD_ID_FIELD, startSimulatedFxiaoke } from '../../../functions/local/simulators/fxiaoke';
import { ALIMAMA_LEAD_ID_PROPERTY, startSimulatedHubSpot } from '../../../functions/local/simulators/hubspot';
import { DEFAULT_EXTERNAL_ID_FIELD, startSimulatedSalesforce } from '../../../functions/local/simulators/salesforce';
import { finished, runCli, startScript, summaryOf, tempDir, waitForOutput, writeJson } from './cli-process';

// Issue #15's operator experience through the real CLI and each connector's strict simulator:
// `check --online` proves credentials and creates nothing; `dev --once` makes one record per
// lead; `status` shows the last record id; `send-test-lead` prints where its record landed.
// One table of vendors, the same four proofs for each, so a connector cannot quietly lack one.

const leads = generateLeads(12, { maxIdGap: 3 });

/** A record as the test compares it: the vendor's id for it, and the lead id it holds. */
interface HeldRecord {
  recordId: string;
  leadId: string;
}

/** One vendor's simulator, seen the same way whatever the vendor. */
interface Crm {
  /** The endpoint with the simulator's right credentials. */
  endpoint: Record<string, unknown>;
  /** Every secret of that endpoint: none may ever be printed or logged. */
  secrets: string[];
  /** The requests the simulator saw so far, each as `credentials` (token fetch, token probe) or what else it was. */
  calls(): string[];
  records(): HeldRecord[];
  close(): Promise<void>;
}

interface Vendor {
  format: string;
  start(): Promise<Crm>;
  /** Settings that replace a right secret with a wrong one. */
  wrong: Record<string, string>;
  /** What `check --online` says of the right credentials, after `name (format): `. */
  accepted: RegExp;
  /** What it says of the wrong ones: the vendor's own code. */
  refused: RegExp;
  /** How an access token the vendor issued looks: none may reach the output or the log. */
  issuedToken?: RegExp;
}

const WRONG = 'WRONG-SECRET-Ω';

const VENDORS: Vendor[] = [
  {
    format: 'feishu-bitable',
    async start() {
      const sim = await startSimulatedBitable();
      return {
        endpoint: {
          baseUrl: sim.url,
          appId: sim.appId,
          appSecret: sim.appSecret,
          appToken: SIMULATED_BITABLE_APP_TOKEN,
          tableId: SIMULATED_BITABLE_TABLE_ID,
        },
        secrets: [sim.appSecret],
        calls: () => sim.requests.map((r) => (r.kind === 'token' ? 'credentials' : r.kind)),
        records: () => sim.records().map((r) => ({ recordId: r.recordId, leadId: String(r.fields['线索ID']) })),
        close: () => sim.close(),
      };
    },
    wrong: { appSecret: WRONG },
    accepted: /credentials accepted \(a token was issued, valid \d+ s\)/,
    refused: /no token: .*code 10014/,
    issuedToken: /t-[0-9a-f]{10,}/,
  },
  {
    format: 'salesforce',
    async start() {
      const sim = await startSimulatedSalesforce();
      return {
        endpoint: {
          instanceUrl: sim.url,
          clientId: sim.clientId,
          clientSecret: sim.clientSecret,
          externalIdField: DEFAULT_EXTERNAL_ID_FIELD,
        },
        secrets: [sim.clientSecret],
        calls: () => sim.requests.map((r) => (r.kind === 'token' ? 'credentials' : `${r.kind} ${r.method} ${r.path}`)),
        records: () => sim.records.map((r) => ({ recordId: r.id, leadId: String(r.fields[DEFAULT_EXTERNAL_ID_FIELD]) })),
        close: () => sim.close(),
      };
    },
    wrong: { clientSecret: WRONG },
    // Salesforce's client credentials token has no expires_in: no lifetime to show.
    accepted: /credentials accepted \(a token was issued\)$/m,
    refused: /no token: .*invalid_client/,
    issuedToken: /00D5g00000SIMORG![\w-]{10,}/,
  },
  {
    format: 'hubspot',
    async start() {
      const sim = await startSimulatedHubSpot();
      return {
        endpoint: { baseUrl: sim.url, token: sim.token, idProperty: ALIMAMA_LEAD_ID_PROPERTY.name },
        secrets: [sim.token],
        // The probe is a list of one contact: a read that only a valid token gets answered.
        calls: () =>
          sim.requests.map((r) =>
            r.method === 'GET' && /^\/crm\/v3\/objects\/contacts$/.test(r.path) ? 'credentials' : `${r.method} ${r.path}`,
          ),
        records: () => sim.records().map((r) => ({ recordId: r.id, leadId: r.properties[ALIMAMA_LEAD_ID_PROPERTY.name] ?? '' })),
        close: () => sim.close(),
      };
    },
    // A header carries Latin-1 only: a token that HubSpot could refuse is ASCII.
    wrong: { token: 'pat-na1-00000000-0000-4000-8000-WRONGSECRET1' },
    accepted: /credentials accepted \(HTTP 200 to an authenticated read\)/,
    refused: /HubSpot refused the private-app token: INVALID_AUTHENTICATION/,
  },
  {
    format: 'fxiaoke',
    async start() {
      const sim = await startSimulatedFxiaoke();
      return {
        endpoint: {
          baseUrl: sim.url,
          appId: sim.appId,
          appSecret: sim.appSecret,
          permanentCode: sim.permanentCode,
          currentOpenUserId: sim.openUserIds[0],
        },
        secrets: [sim.appSecret, sim.permanentCode],
        calls: () => sim.requests.map((r) => (r.endpoint === 'token' ? 'credentials' : r.endpoint)),
        records: () => sim.records.map((r) => ({ recordId: r.dataId, leadId: String(r.fields[LEAD_ID_FIELD]) })),
        close: () => sim.close(),
      };
    },
    wrong: { appSecret: WRONG },
    accepted: /credentials accepted \(a token was issued, valid 7200 s\)/,
    refused: /no token: .*errorCode 20006/,
    issuedToken: /\b[0-9A-F]{32}\b/,
  },
];

let gateway: SimulatedGateway;
beforeAll(async () => {
  gateway = await startSimulatedGateway({ leads });
});
afterAll(async () => {
  await gateway.close();
});

describe.each(VENDORS)('$format', (vendor) => {
  const name = vendor.format;
  let dir: { path: string; remove(): Promise<void> };
  let crm: Crm;
  let config: string;
  let state: string;

  async function configWith(file: string, overrides: Record<string, unknown> = {}): Promise<string> {
    return writeJson(join(dir.path, file), {
      top: { appKey: gateway.appKey, appSecret: gateway.appSecret, sessionKey: gateway.sessionKey, gatewayUrl: gateway.url },
      startFrom: 'all',
      webhooks: [{ name, format: vendor.format, ...crm.endpoint, ...overrides }],
    });
  }

  /** Neither a secret of the endpoint nor a token the vendor issued. */
  function expectNoCredentials(text: string): void {
    for (const secret of [...crm.secrets, ...Object.values(vendor.wrong)]) expect(text).not.toContain(secret);
    if (vendor.issuedToken !== undefined) expect(text).not.toMatch(vendor.issuedToken);
  }

  beforeAll(async () => {
    dir = await tempDir(`connectors-${name}`);
    crm = await vendor.start();
    config = await configWith('config.json');
    state = join(dir.path, 'state');
  });
  afterAll(async () => {
    await crm.close();
    await dir.remove();
  });

  it('check --online proves the credentials with one token fetch (or probe) and creates no record', async () => {
    const result = await runCli(['check', '--config', config, '--online']);
    expect(result.stdout).toMatch(new RegExp(`online:\\n {2}${name} \\(${vendor.format}\\): ${vendor.accepted.source}`, 'm'));
    expect(result.stdout).not.toContain('has no secret');
    expect(result.code).toBe(0);
    expect(crm.calls()).toEqual(['credentials']);
    expect(crm.records()).toHaveLength(0);
    expectNoCredentials(result.stdout + result.stderr);
  });

  it('check --online with a wrong secret names the vendor code, never the secret, and exits 1', async () => {
    const before = crm.calls().length;
    const wrong = await configWith('wrong.json', vendor.wrong);
    const result = await runCli(['check', '--config', wrong, '--online']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`${name} \\(${vendor.format}\\): .*${vendor.refused.source}`));
    expect(crm.calls().slice(before)).toEqual(['credentials']);
    expect(crm.records()).toHaveLength(0);
    expectNoCredentials(result.stdout + result.stderr);
  });

  it('dev --once makes one record per lead, and status shows the last record id', async () => {
    const before = crm.records().length;
    const run = await runCli(['dev', '--once', '--config', config, '--state-dir', state]);
    expect(run.code).toBe(0);
    expect(summaryOf(run)).toMatchObject({ enqueued: 12, delivered: 12, failed: 0 });
    const made = crm.records().slice(before);
    expect(made.map((r) => r.leadId).sort()).toEqual(leads.map((l) => l.id).sort());

    const status = await runCli(['status', '--config', config, '--state-dir', state]);
    expect(status.code).toBe(0);
    const line = status.stdout.split('\n').find((l) => l.trimStart().startsWith(`${name} `)) ?? '';
    const shown = /\(lead (\d+), record ([^)\s]+)\)/.exec(line);
    expect(shown).not.toBeNull();
    // A record the run made, and the one of the lead status names with it.
    expect(made.find((r) => r.recordId === shown![2])?.leadId).toBe(shown![1]);

    const written = [run.stdout, run.stderr, status.stdout, await readFile(join(state, 'handlers.log'), 'utf8')].join('\n');
    expect(written).toContain('lead delivered');
    expectNoCredentials(written);
  });

  it('send-test-lead creates one test record and prints its id', async () => {
    const before = crm.records().length;
    const result = await runCli(['send-test-lead', '--config', config, '--state-dir', state]);
    expect(result.code).toBe(0);
    const [record, ...more] = crm.records().slice(before);
    expect(more).toHaveLength(0);
    expect(record?.recordId).toBeTruthy();
    expect(result.stdout).toMatch(
      new RegExp(`\\b${name} \\(${vendor.format}\\): accepted, record ${record!.recordId}, HTTP 2\\d\\d `),
    );
    expectNoCredentials(result.stdout + result.stderr);
  });

  it("the README's dry run: serve.ts's endpoint passes check --online, dev and send-test-lead, and it prints each record", async () => {
    // Port 0: a free one, so the test never collides with a dry run someone has open.
    const serve = startScript('functions/local/simulators/serve.ts', [vendor.format, '0']);
    try {
      await waitForOutput(serve, /; endpoint:\n\{.*\}\n/, 20_000);
      const endpoint = JSON.parse(serve.stdout().split('\n')[1]!) as Record<string, unknown>;
      expect(endpoint).toMatchObject({ format: vendor.format });
      const pasted = await writeJson(join(dir.path, 'dry-run.json'), {
        top: { appKey: gateway.appKey, appSecret: gateway.appSecret, sessionKey: gateway.sessionKey, gatewayUrl: gateway.url },
        startFrom: 'all',
        webhooks: [endpoint],
      });
      const label = `${String(endpoint.name)} \\(${vendor.format}\\)`;
      const check = await runCli(['check', '--config', pasted, '--online']);
      expect(check.stdout).toMatch(new RegExp(`${label}: ${vendor.accepted.source}`, 'm'));
      expect(check.code).toBe(0);

      // As the README goes on: `dev` there writes the leads, then `send-test-lead` one test record.
      const dryRunState = join(dir.path, 'dry-run-state');
      const run = await runCli(['dev', '--once', '--config', pasted, '--state-dir', dryRunState]);
      expect(summaryOf(run)).toMatchObject({ enqueued: 12, delivered: 12, failed: 0 });
      const sent = await runCli(['send-test-lead', '--config', pasted, '--state-dir', dryRunState]);
      expect(sent.code).toBe(0);
      const recordId = new RegExp(`${label}: accepted, record (\\S+), HTTP 2`).exec(sent.stdout)?.[1];
      expect(recordId).toBeDefined();
      // The script's own line for each record: the real leads', then the test record's.
      await waitForOutput(serve, new RegExp(`^record ${recordId} \\(lead (test_)?\\d+\\)$`, 'm'), 5_000);
      const lines = serve
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('record '));
      expect(lines).toHaveLength(13);
      for (const lead of leads)
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^record \\S+ \\(lead ${lead.id}\\)$`)));
    } finally {
      serve.child.kill('SIGINT');
      const stopped = await finished(serve, 10_000);
      expect(stopped.code).toBe(0);
    }
  });
});

it('check --online with a HubSpot token HTTP cannot carry says so, sends nothing, and never prints it', async () => {
  const dir = await tempDir('connectors-hubspot-unsendable');
  const hubspot = await startSimulatedHubSpot();
  try {
    // A token pasted with a character outside Latin-1 (here a Greek omega) cannot be a header value.
    const token = `pat-na1-${WRONG}`;
    const config = await writeJson(join(dir.path, 'config.json'), {
      top: { appKey: gateway.appKey, appSecret: gateway.appSecret, sessionKey: gateway.sessionKey, gatewayUrl: gateway.url },
      webhooks: [{ name: 'hubspot', format: 'hubspot', baseUrl: hubspot.url, token }],
    });
    const result = await runCli(['check', '--config', config, '--online']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'hubspot (hubspot): the probe got no answer (header authorization has a value HTTP cannot carry; nothing was sent)',
    );
    expect(hubspot.requests).toHaveLength(0);
    expect(result.stdout + result.stderr).not.toContain(token);
  } finally {
    await hubspot.close();
    await dir.remove();
  }
});
