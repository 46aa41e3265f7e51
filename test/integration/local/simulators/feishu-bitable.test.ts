import { Agent, request } from 'undici';
import { isRecord } from '../../../../functions/shared/domain/is-record';
import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  startSimulatedBitable,
  TOKEN_PATH,
  type SimulatedBitable,
  type SimulatedBitableOptions,
} from '../../../../functions/local/simulators/feishu-bitable';

// The simulated Feishu checked with hand-built HTTP requests: it must refuse what the real
// platform refuses, or the connector tests prove nothing.

const RECORDS = `/open-apis/bitable/v1/apps/${SIMULATED_BITABLE_APP_TOKEN}/tables/${SIMULATED_BITABLE_TABLE_ID}/records`;
const TOKEN_A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const TOKEN_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

let agent: Agent;
let sim: SimulatedBitable;

beforeAll(() => {
  agent = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await agent.close();
});
afterEach(async () => {
  await sim.close();
});

async function start(options: SimulatedBitableOptions = {}): Promise<void> {
  sim = await startSimulatedBitable(options);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${sim.url}${path}`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json: unknown = await response.body.json();
  if (!isRecord(json)) throw new Error('answer is not an object');
  return { status: response.statusCode, headers: response.headers, json };
}

async function token(): Promise<string> {
  const answer = await post(TOKEN_PATH, { app_id: sim.appId, app_secret: sim.appSecret });
  const value = answer.json.tenant_access_token;
  if (typeof value !== 'string') throw new Error(`no token: ${JSON.stringify(answer.json)}`);
  return value;
}

async function create(fields: unknown, clientToken?: string, bearer?: string): Promise<Answer> {
  const query = clientToken === undefined ? '' : `?client_token=${clientToken}`;
  return post(`${RECORDS}${query}`, { fields }, { authorization: `Bearer ${bearer ?? (await token())}` });
}

function recordId(answer: Answer): unknown {
  const data = answer.json.data;
  return isRecord(data) && isRecord(data.record) ? data.record.record_id : undefined;
}

describe('simulated Feishu token endpoint', () => {
  it('issues a t- token with its lifetime, and the same one again while it has long to live', async () => {
    await start();
    const first = await post(TOKEN_PATH, { app_id: sim.appId, app_secret: sim.appSecret });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ code: 0, msg: 'ok', expire: 7200 });
    expect(first.json.tenant_access_token).toMatch(/^t-[0-9a-f]{40}$/);
    const second = await post(TOKEN_PATH, { app_id: sim.appId, app_secret: sim.appSecret });
    expect(second.json.tenant_access_token).toBe(first.json.tenant_access_token);
    expect(sim.tokenRequests).toBe(2);
    expect(sim.tokensIssued).toBe(1);
  });

  it('issues a new token once the old one has less than the reuse window left', async () => {
    let now = 1_800_000_000_000;
    await start({ now: () => now, tokenLifetimeSeconds: 7200 });
    const first = await token();
    now += 5401_000; // 1799 s left
    expect(await token()).not.toBe(first);
    expect(sim.tokensIssued).toBe(2);
  });

  it('refuses an unknown app id or missing parameters (10003) and a wrong secret (10014)', async () => {
    await start();
    expect((await post(TOKEN_PATH, { app_id: 'cli_other', app_secret: sim.appSecret })).json.code).toBe(10003);
    expect((await post(TOKEN_PATH, { app_id: sim.appId })).json.code).toBe(10003);
    expect((await post(TOKEN_PATH, 'not json')).json.code).toBe(10003);
    const wrong = await post(TOKEN_PATH, { app_id: sim.appId, app_secret: 'guess' });
    expect(wrong).toMatchObject({ status: 400, json: { code: 10014 } });
    expect(JSON.stringify(wrong.json)).not.toContain('guess');
    expect(sim.tokensIssued).toBe(0);
  });
});

describe('simulated Bitable record creation', () => {
  it('creates a record and answers its record_id in the documented shape', async () => {
    await start();
    const answer = await create({ 线索ID: '1001', 姓名: '张三', 手机号: '13800138000', 留资时间: 1_764_662_400_000 });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ code: 0, msg: 'success' });
    expect(recordId(answer)).toMatch(/^rec[A-Za-z0-9]{10}$/);
    expect(sim.records()).toHaveLength(1);
    expect(sim.records()[0]).toMatchObject({ recordId: recordId(answer), fields: { 线索ID: '1001', 姓名: '张三' } });
    // The request log keeps field names, never values or tokens.
    expect(JSON.stringify(sim.requests)).not.toMatch(/张三|13800138000|t-[0-9a-f]{40}/);
  });

  it('returns the first record again for a repeated client_token, and makes no second record', async () => {
    await start();
    const first = await create({ 线索ID: '1001' }, TOKEN_A);
    const again = await create({ 线索ID: '1001' }, TOKEN_A);
    expect(again.json.code).toBe(0);
    expect(recordId(again)).toBe(recordId(first));
    expect(sim.records()).toHaveLength(1);
    expect(sim.requests.filter((r) => r.kind === 'record').map((r) => r.deduplicated ?? false)).toEqual([false, true]);
    await create({ 线索ID: '1002' }, TOKEN_B);
    await create({ 线索ID: '1003' });
    await create({ 线索ID: '1003' });
    expect(sim.records()).toHaveLength(4);
  });

  it('answers 1255006 to a client_token reused with other fields', async () => {
    await start();
    await create({ 线索ID: '1001' }, TOKEN_A);
    expect(await create({ 线索ID: '9999' }, TOKEN_A)).toMatchObject({ status: 400, json: { code: 1255006 } });
    expect(sim.records()).toHaveLength(1);
  });

  it.each([
    ['a name-based (v5) UUID', '74738ff5-5367-5958-9aee-98fffdcd1876'],
    ['no UUID at all', 'lead_1001'],
  ])('refuses %s as client_token (1254037)', async (_label, clientToken) => {
    await start();
    expect(await create({ 线索ID: '1001' }, clientToken)).toMatchObject({ status: 400, json: { code: 1254037 } });
    expect(sim.records()).toHaveLength(0);
  });

  it('answers 1254045 FieldNameNotFound for a field the table has no column for', async () => {
    await start();
    const answer = await create({ 线索ID: '1001', 客户名称: 'x' });
    expect(answer.json).toMatchObject({
      code: 1254045,
      msg: 'FieldNameNotFound',
    });
    expect(JSON.stringify(answer.json.error)).toContain('客户名称');
    expect(sim.records()).toHaveLength(0);
  });

  it.each([
    ['a date column an ISO string', { 留资时间: '2026-12-02T08:00:00+08:00' }, 1254064],
    ['a text column a number', { 姓名: 42 }, 1254060],
    ['a phone column a ciphertext', { 手机号: 'kG9vQm1Zc2Vj+cmV0/YmFzZTY0==' }, 1254072],
    ['a text cell over the limit', { 附加信息: 'x'.repeat(101) }, 1254130],
  ])('refuses %s', async (_label, fields, code) => {
    await start({ maxTextLength: 100 });
    expect((await create(fields)).json.code).toBe(code);
    expect(sim.records()).toHaveLength(0);
  });

  it('refuses a body without fields (1254001), a body that is not JSON (1254000), and an unknown base or table', async () => {
    await start();
    const bearer = { authorization: `Bearer ${await token()}` };
    expect((await post(RECORDS, { records: [] }, bearer)).json.code).toBe(1254001);
    expect((await post(RECORDS, '{"fields":', bearer)).json.code).toBe(1254000);
    expect((await post(RECORDS.replace(SIMULATED_BITABLE_APP_TOKEN, 'bascnOther'), { fields: {} }, bearer)).json.code).toBe(
      1254040,
    );
    expect((await post(RECORDS.replace(SIMULATED_BITABLE_TABLE_ID, 'tblOther'), { fields: {} }, bearer)).json.code).toBe(1254041);
  });

  it('answers 99991661 without a token, 99991671 for a malformed one, 99991663 for an unknown or expired one', async () => {
    await start();
    expect((await post(RECORDS, { fields: {} })).json.code).toBe(99991661);
    expect((await create({}, undefined, 'abc')).json.code).toBe(99991671);
    expect((await create({}, undefined, 't-0000')).json.code).toBe(99991663);
    const bearer = await token();
    expect((await create({}, undefined, bearer)).json.code).toBe(0);
    sim.expireTokens();
    expect(await create({}, undefined, bearer)).toMatchObject({ status: 400, json: { code: 99991663 } });
    expect(await token()).not.toBe(bearer);
  });

  it('lets a token lapse after its configured lifetime', async () => {
    let now = 1_800_000_000_000;
    await start({ now: () => now, tokenLifetimeSeconds: 60, tokenReuseSeconds: 10 });
    const bearer = await token();
    now += 60_000;
    expect((await create({}, undefined, bearer)).json.code).toBe(99991663);
  });

  it('answers 91403 when the app is not a collaborator of the base, and 99991672 without the scope', async () => {
    await start({ collaborator: false });
    expect(await create({ 线索ID: '1' })).toMatchObject({ status: 403, json: { code: 91403, msg: 'Forbidden' } });
    sim.setCollaborator(true);
    expect((await create({ 线索ID: '1' })).json.code).toBe(0);
    await sim.close();
    await start({ scopeGranted: false });
    expect((await create({ 线索ID: '1' })).json.code).toBe(99991672);
  });

  it('rate-limits beyond recordsPerSecond with 99991400 on HTTP 429 and the reset header', async () => {
    await start({ recordsPerSecond: 2, now: () => 1_800_000_000_000 });
    const bearer = await token();
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await create({}, undefined, bearer));
    expect(codes.map((a) => a.json.code)).toEqual([0, 0, 99991400]);
    expect(codes[2]).toMatchObject({ status: 429, headers: { 'x-ogw-ratelimit-reset': '1' } });
  });

  it('injects faults: rate limit, write conflict, 5xx page, token expiry, and an answer lost after the record was made', async () => {
    await start();
    const bearer = await token();
    sim.queueFault(
      { kind: 'rate-limit', status: 400 },
      { kind: 'write-conflict' },
      { kind: 'token-expired' },
      { kind: 'vendor-error', code: 1255040, msg: 'Request timed out, please try again later', status: 504 },
    );
    expect(await create({}, undefined, bearer)).toMatchObject({ status: 400, json: { code: 99991400 } });
    expect((await create({}, undefined, bearer)).json.code).toBe(1254291);
    expect((await create({}, undefined, bearer)).json.code).toBe(99991663);
    expect(await create({}, undefined, bearer)).toMatchObject({ status: 504, json: { code: 1255040 } });
    expect(sim.records()).toHaveLength(0);

    sim.queueFault({ kind: 'server-error', status: 503 });
    const page = await request(`${sim.url}${RECORDS}`, { method: 'POST', dispatcher: agent, body: '{}' });
    expect(page.statusCode).toBe(503);
    expect(await page.body.text()).toContain('<html>');

    sim.queueFault({ kind: 'accept-then-drop' });
    await expect(create({ 线索ID: '1001' }, TOKEN_A, bearer)).rejects.toThrow();
    expect(sim.records()).toHaveLength(1);
    expect(recordId(await create({ 线索ID: '1001' }, TOKEN_A, bearer))).toBe(sim.records()[0]?.recordId);
    expect(sim.records()).toHaveLength(1);
  });

  it('checks the token before answering a fault, and keeps the fault for the next call that passes', async () => {
    await start();
    const bearer = await token();
    sim.expireTokens();
    sim.queueFault({ kind: 'rate-limit' }, { kind: 'vendor-error', code: 1255040, msg: 'Request timed out', status: 504 });
    expect(await create({}, undefined, bearer)).toMatchObject({ status: 400, json: { code: 99991663 } });
    expect((await post(RECORDS, { fields: {} })).json.code).toBe(99991661);
    const renewed = await token();
    expect(await create({}, undefined, renewed)).toMatchObject({ status: 429, json: { code: 99991400 } });
    expect(await create({}, undefined, renewed)).toMatchObject({ status: 504, json: { code: 1255040 } });
    expect((await create({}, undefined, renewed)).json.code).toBe(0);
    const calls = sim.requests.filter((r) => r.kind === 'record');
    expect(calls.map((r) => [r.outcome, r.fault])).toEqual([
      [99991663, undefined],
      [99991661, undefined],
      [99991400, 'rate-limit'],
      [1255040, 'vendor-error'],
      [0, undefined],
    ]);
  });

  it('answers a gateway fault (a 5xx page, a dropped connection) to whichever call comes, whatever its token', async () => {
    await start();
    sim.queueFault({ kind: 'server-error' }, { kind: 'drop-connection' });
    const page = await request(`${sim.url}${RECORDS}`, { method: 'POST', dispatcher: agent, body: '{}' });
    expect(page.statusCode).toBe(502);
    expect(await page.body.text()).toContain('<html>');
    await expect(create({}, undefined, 't-0000')).rejects.toThrow();
    expect((await create({})).json.code).toBe(0);
    expect(sim.requests.filter((r) => r.kind === 'record').map((r) => r.fault)).toEqual([
      'server-error',
      'drop-connection',
      undefined,
    ]);
  });

  it('refuses a second concurrent write to one table when asked to (1254291)', async () => {
    await start({ rejectConcurrentWrites: true, latencyMs: 100 });
    const bearer = await token();
    const answers = await Promise.all([create({}, undefined, bearer), create({}, undefined, bearer)]);
    expect(answers.map((a) => a.json.code).sort()).toEqual([0, 1254291]);
    expect(sim.records()).toHaveLength(1);
  });

  it('answers 404 with 99991201 for a path it does not serve', async () => {
    await start();
    expect(await post('/open-apis/bitable/v1/apps', {})).toMatchObject({ status: 404, json: { code: 99991201 } });
  });
});
