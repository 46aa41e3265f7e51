import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { TokenRequestError } from '../../../../../functions/shared/webhook/auth/oauth2-token';
import { TokenCache } from '../../../../../functions/shared/webhook/auth/token-cache';
import { sendToConnector } from '../../../../../functions/shared/webhook/connectors/send';
import type { ConnectorInstance, ConnectorVerdict, VendorAnswer } from '../../../../../functions/shared/webhook/connectors/types';
import { createDispatcher } from '../../../../../functions/shared/webhook/sender';
import { startReceiver, type Receiver } from '../receiver';

/**
 * The shared connector send loop (connectors/send.ts) over real HTTP, with a minimal vendor of
 * the test's own: `/token` issues `t<n>`, `/records` creates one record per idempotency key and
 * answers `{"code": 0, "id"}`, or `{"code": 401}` for a token it no longer takes.
 */

let dispatcher: Dispatcher;
let vendor: Receiver;
let issued: number;
let refused: Set<string>;
let records: Map<string, string>;
let lookups: number;

beforeAll(() => {
  dispatcher = createDispatcher();
});
afterAll(async () => {
  await dispatcher.destroy();
});
beforeEach(async () => {
  issued = 0;
  lookups = 0;
  refused = new Set();
  records = new Map();
  vendor = await startReceiver((req: IncomingMessage, res: ServerResponse, { body }) => {
    const json = (status: number, value: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (req.url === '/token') return json(200, { token: `t${++issued}`, expires: 3600 });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (refused.has(token)) return json(401, { code: 401 });
    const key = (JSON.parse(body || '{}') as { key?: string }).key ?? '';
    if (req.url?.startsWith('/lookup')) {
      lookups += 1;
      const id = records.get(key);
      return json(200, id === undefined ? { code: 0 } : { code: 0, id });
    }
    if (!records.has(key)) records.set(key, `rec${records.size + 1}`);
    json(200, { code: 0, id: records.get(key) });
  });
});
afterEach(async () => {
  await vendor.close();
});

function read(answer: VendorAnswer): ConnectorVerdict {
  const json = JSON.parse(answer.body) as { code: number; id?: string };
  if (json.code === 401) return { outcome: 'reauthenticate', reason: 'vendor code 401' };
  return { outcome: 'delivered', recordId: json.id };
}

function connector(overrides: Partial<ConnectorInstance> = {}): ConnectorInstance {
  return {
    target: `${vendor.origin}/records`,
    token: {
      kind: 'fetched',
      key: 'test-vendor',
      request: () => ({ url: `${vendor.origin}/token`, headers: {}, body: '{}' }),
      read: (answer) => {
        const json = JSON.parse(answer.body) as { token: string; expires: number };
        return { value: json.token, expiresInSeconds: json.expires };
      },
    },
    defaultFields: () => ({}),
    renderRecord: (record, token) => ({
      url: `${vendor.origin}/records`,
      headers: { authorization: `Bearer ${token.value}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: record.webhookId, fields: record.fields }),
    }),
    readAnswer: read,
    ...overrides,
  };
}

const record = (id: string) => ({ fields: { a: 1 }, leadId: id, webhookId: `lead_${id}`, endpointName: 'crm' });
const target = (instance: ConnectorInstance) => ({ name: 'crm', timeoutMs: 2_000, connector: instance });

test('one token serves many deliveries, and each lead becomes one record with its id', async () => {
  const tokens = new TokenCache();
  const instance = connector();
  const attempts = await Promise.all(
    ['1', '2', '3', '1'].map((id) => sendToConnector(dispatcher, target(instance), record(id), tokens)),
  );
  expect(issued).toBe(1);
  expect(attempts.map((a) => (a.kind === 'answered' ? a.verdict : a.kind))).toEqual([
    { outcome: 'delivered', recordId: 'rec1' },
    { outcome: 'delivered', recordId: 'rec2' },
    { outcome: 'delivered', recordId: 'rec3' },
    { outcome: 'delivered', recordId: 'rec1' },
  ]);
  expect(records.size).toBe(3);
});

test('a token the vendor refuses before its time is renewed once and the request made again', async () => {
  const tokens = new TokenCache();
  const instance = connector();
  await sendToConnector(dispatcher, target(instance), record('1'), tokens);
  refused.add('t1');
  const attempt = await sendToConnector(dispatcher, target(instance), record('2'), tokens);
  expect(attempt).toMatchObject({ kind: 'answered', verdict: { outcome: 'delivered', recordId: 'rec2' } });
  expect(issued).toBe(2);
});

test('a new token refused as well is a retry for later, class auth, with no third token', async () => {
  const tokens = new TokenCache();
  refused = new Set(['t1', 't2', 't3']);
  const attempt = await sendToConnector(dispatcher, target(connector()), record('1'), tokens);
  expect(attempt).toMatchObject({
    kind: 'answered',
    status: 401,
    verdict: { outcome: 'retry', reasonClass: 'auth', reason: 'vendor code 401, again with a new token' },
  });
  expect(issued).toBe(2);
  expect(records.size).toBe(0);
});

test('a static token is never renewed: refused, it is a retry of class auth', async () => {
  refused.add('static-token');
  const instance = connector({
    token: {
      kind: 'static',
      token: { value: 'static-token' },
      probe: () => ({ url: `${vendor.origin}/records`, method: 'GET', headers: {}, body: '' }),
      readProbe: () => undefined,
    },
  });
  const attempt = await sendToConnector(dispatcher, target(instance), record('1'), new TokenCache());
  expect(attempt).toMatchObject({
    kind: 'answered',
    verdict: { outcome: 'retry', reasonClass: 'auth', reason: 'vendor code 401' },
  });
  expect(issued).toBe(0);
});

test('a look-up that finds the record settles the delivery without a second create', async () => {
  const instance = connector({
    lookup: {
      request: (r, token) => ({
        url: `${vendor.origin}/lookup`,
        headers: { authorization: `Bearer ${token.value}` },
        body: JSON.stringify({ key: r.webhookId }),
      }),
      read: (answer) => {
        const json = JSON.parse(answer.body) as { id?: string };
        return json.id === undefined ? { outcome: 'absent' } : { outcome: 'found', recordId: json.id };
      },
    },
  });
  const tokens = new TokenCache();
  const first = await sendToConnector(dispatcher, target(instance), record('7'), tokens);
  const again = await sendToConnector(dispatcher, target(instance), record('7'), tokens);
  expect(first).toMatchObject({ verdict: { outcome: 'delivered', recordId: 'rec1' } });
  expect(again).toMatchObject({ verdict: { outcome: 'delivered', recordId: 'rec1' } });
  expect(lookups).toBe(2);
  expect(records.size).toBe(1);
});

test('no token to be had is a TokenRequestError naming the endpoint, and no record request is made', async () => {
  const instance = connector({
    token: {
      kind: 'fetched',
      key: 'down',
      request: () => ({ url: 'http://127.0.0.1:1/token', headers: {}, body: '{}' }),
      read: () => ({ value: 'never' }),
    },
  });
  const error = await sendToConnector(dispatcher, target(instance), record('1'), new TokenCache()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TokenRequestError);
  expect((error as Error).message).toMatch(/^webhooks "crm": no token: the token endpoint could not be reached/);
  expect(records.size).toBe(0);
});

test('a vendor that does not answer is a network attempt (the forwarder retries it)', async () => {
  const instance = connector({ renderRecord: () => ({ url: 'http://127.0.0.1:1/records', headers: {}, body: '{}' }) });
  const attempt = await sendToConnector(dispatcher, target(instance), record('1'), new TokenCache());
  expect(attempt).toMatchObject({ kind: 'network', result: { reason: 'connection' } });
});
