import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { startReceiver, type Receiver } from '../../support/receiver';
import { CLIENT_SECRET, TokenServer } from '../../support/token-server';
import { runCli, summaryOf, tempDir, writeJson } from './cli-process';
import { sortIds } from './pipeline-fixture';

// `dev --once` with DESIGN §7 endpoints: the real CLI, the simulated gateway, real receivers and
// a real OAuth token server. What reached each receiver, what the summary counts, what the logs hold.

const PAGE = '5314456';
const leads = generateLeads(30, { maxIdGap: 3 });
let dir: { path: string; remove(): Promise<void> };
let gateway: SimulatedGateway;
let east: Receiver;
let others: Receiver;
let api: Receiver;
let tokens: TokenServer;

beforeAll(async () => {
  dir = await tempDir('destinations');
  gateway = await startSimulatedGateway({ leads });
  east = await startReceiver();
  others = await startReceiver();
  tokens = new TokenServer();
  await tokens.start();
  api = await startReceiver((_n, request) =>
    /^Bearer tok-\d+$/.test(String(request.headers.authorization ?? '')) ? { status: 200 } : { status: 401 },
  );
});
afterAll(async () => {
  await Promise.all([east, others, api].map((r) => r.close()));
  await tokens.stop();
  await gateway.close();
  await dir.remove();
});

it("routes each lead by its page, sends forms and JSON of the operator's shape, authenticates with one OAuth token, and counts the rest as skipped", async () => {
  const config = await writeJson(join(dir.path, 'config.json'), {
    top: {
      appKey: gateway.appKey,
      appSecret: gateway.appSecret,
      sessionKey: gateway.sessionKey,
      gatewayUrl: gateway.url,
      pageSize: 10,
    },
    startFrom: 'all',
    webhooks: [
      {
        name: 'east',
        url: east.url,
        format: 'http',
        contentType: 'form',
        filter: `data.page_id = '${PAGE}'`,
        body: "{'lead_no': data.id, 'page': data.page_name, 'extra': data.extend_list}",
      },
      {
        name: 'others',
        url: others.url,
        format: 'http',
        filter: `data.page_id != '${PAGE}'`,
        body: "{'id': data.id, 'page': data.page_name}",
      },
      {
        name: 'api',
        url: api.url,
        auth: { type: 'oauth2', tokenUrl: tokens.url, clientId: 'lead-forwarder', clientSecret: CLIENT_SECRET },
      },
    ],
  });
  const result = await runCli(['dev', '--once', '--config', config, '--state-dir', join(dir.path, 'state')]);
  expect(result.code).toBe(0);

  const onPage = sortIds(leads.filter((l) => l.page_id === PAGE).map((l) => l.id));
  const offPage = sortIds(leads.filter((l) => l.page_id !== PAGE).map((l) => l.id));
  expect(onPage.length).toBeGreaterThan(0);
  expect(offPage.length).toBeGreaterThan(0);
  expect(sortIds(east.requests.map((r) => new URLSearchParams(r.body).get('lead_no')!))).toEqual(onPage);
  expect(sortIds(others.requests.map((r) => String((r.json as { id: string }).id)))).toEqual(offPage);
  expect(sortIds(api.accepted)).toEqual(sortIds(leads.map((l) => l.id)));
  expect(tokens.issued()).toBe(1);
  expect(summaryOf(result)).toMatchObject({ enqueued: 30, delivered: 60, skipped: 30, failed: 0, parked: 0 });

  // No credential or token in anything the run wrote.
  const written = [result.stdout, result.stderr, await readFile(join(dir.path, 'state', 'handlers.log'), 'utf8')].join('\n');
  expect(written).toContain('lead delivered');
  for (const secret of [CLIENT_SECRET, 'tok-1']) expect(written).not.toContain(secret);
});
