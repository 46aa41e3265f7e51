import { Agent, request } from 'undici';
import { isRecord } from '../../../../functions/shared/domain/is-record';
import {
  CREATE_PATH,
  LEAD_ID_FIELD,
  QUERY_PATH,
  startSimulatedFxiaoke,
  TOKEN_PATH,
  type SimulatedFxiaoke,
} from '../../../../functions/local/simulators/fxiaoke';

// The simulator checked with hand-built HTTP requests: it must refuse what the real open API
// refuses, or the connector tests prove nothing.

let agent: Agent;
let crm: SimulatedFxiaoke;

beforeAll(() => {
  agent = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await agent.close();
});
beforeEach(async () => {
  crm = await startSimulatedFxiaoke();
});
afterEach(async () => {
  await crm.close();
});

async function post(path: string, body: unknown, raw?: string): Promise<Record<string, unknown>> {
  const response = await request(`${crm.url}${path}?thirdTraceId=0b0c3e1a-5d55-4a47-9d4b-2f0f6d1f7c11`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  expect(response.statusCode).toBe(200);
  const json: unknown = await response.body.json();
  if (!isRecord(json)) throw new Error('not an object');
  return json;
}

function credentials(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { appId: crm.appId, appSecret: crm.appSecret, permanentCode: crm.permanentCode, ...overrides };
}

async function token(): Promise<string> {
  const answer = await post(TOKEN_PATH, credentials());
  expect(answer.errorCode).toBe(0);
  if (typeof answer.corpAccessToken !== 'string') throw new Error('no token');
  return answer.corpAccessToken;
}

async function create(
  objectData: Record<string, unknown>,
  common: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  return post(CREATE_PATH, {
    corpAccessToken: await token(),
    corpId: crm.corpId,
    currentOpenUserId: crm.openUserIds[0],
    triggerApprovalFlow: false,
    data: { object_data: { dataObjectApiName: 'LeadsObj', ...objectData } },
    ...common,
  });
}

describe('corp access token', () => {
  it('issues a token with the corp id and its lifetime, and the same token again within its reuse window', async () => {
    const first = await post(TOKEN_PATH, credentials());
    const second = await post(TOKEN_PATH, credentials());
    expect(first).toMatchObject({ errorCode: 0, corpId: crm.corpId, expiresIn: 7200 });
    expect(second.corpAccessToken).toBe(first.corpAccessToken);
    expect(crm.tokensIssued).toBe(2);
  });

  it.each([
    ['no appId', { appId: undefined }, 10001],
    ['no appSecret', { appSecret: '' }, 10002],
    ['no permanentCode', { permanentCode: undefined }, 10012],
    ['a wrong appSecret', { appSecret: 'guessed' }, 20006],
    ['a wrong appId', { appId: 'FSAID_other' }, 20006],
    ['a wrong permanentCode', { permanentCode: 'OTHER' }, 20015],
  ])('refuses %s with its code', async (_what, overrides, code) => {
    expect(await post(TOKEN_PATH, credentials(overrides))).toMatchObject({ errorCode: code });
    expect(crm.tokensIssued).toBe(0);
  });

  it('refuses an empty body and one that is not JSON', async () => {
    expect(await post(TOKEN_PATH, undefined, '')).toMatchObject({ errorCode: 12004 });
    expect(await post(TOKEN_PATH, undefined, '{"appId":')).toMatchObject({ errorCode: 32000 });
  });

  it('allows ten calls a minute and answers 14001 after that', async () => {
    for (let i = 0; i < 10; i++) expect((await post(TOKEN_PATH, credentials())).errorCode).toBe(0);
    expect(await post(TOKEN_PATH, credentials())).toMatchObject({ errorCode: 14001 });
  });

  it('refuses a token call made while another is still being answered', async () => {
    crm.setLatency(100);
    const answers = await Promise.all([post(TOKEN_PATH, credentials()), post(TOKEN_PATH, credentials())]);
    expect(answers.map((answer) => answer.errorCode).sort()).toEqual([0, 14001]);
  });

  it('lets a token lapse after its lifetime, and issues a new one in the last 600/7200 of it', async () => {
    let now = 1_000_000;
    await crm.close();
    crm = await startSimulatedFxiaoke({ tokenLifetimeSeconds: 72, now: () => now });
    const first = await token();
    now += 67_000; // past 66 s: a new token, the old one still good
    const second = await token();
    expect(second).not.toBe(first);
    const common = { corpId: crm.corpId, currentOpenUserId: crm.openUserIds[0] };
    const body = { ...common, data: { object_data: { dataObjectApiName: 'LeadsObj', name: 'x' } } };
    expect((await post(CREATE_PATH, { ...body, corpAccessToken: first })).errorCode).toBe(0);
    now += 6_000; // 73 s after the first: lapsed
    expect(await post(CREATE_PATH, { ...body, corpAccessToken: first })).toMatchObject({ errorCode: 20016 });
    expect((await post(CREATE_PATH, { ...body, corpAccessToken: second })).errorCode).toBe(0);
  });

  it('lets a token lapse after tokenLifetimeRecords records made with it, and issues a new one', async () => {
    await crm.close();
    crm = await startSimulatedFxiaoke({ tokenLifetimeRecords: 2 });
    const first = await token();
    const common = { corpId: crm.corpId, currentOpenUserId: crm.openUserIds[0] };
    const body = { ...common, data: { object_data: { dataObjectApiName: 'LeadsObj', name: 'x' } } };
    const query = {
      ...common,
      data: { dataObjectApiName: 'LeadsObj', search_query_info: { limit: 1, offset: 0, filters: [] } },
    };
    // A query makes no record: it does not use the token up.
    expect((await post(QUERY_PATH, { ...query, corpAccessToken: first })).errorCode).toBe(0);
    expect((await post(CREATE_PATH, { ...body, corpAccessToken: first })).errorCode).toBe(0);
    expect((await post(CREATE_PATH, { ...body, corpAccessToken: first })).errorCode).toBe(0);
    expect(await post(CREATE_PATH, { ...body, corpAccessToken: first })).toMatchObject({ errorCode: 20016 });
    expect(await post(QUERY_PATH, { ...query, corpAccessToken: first })).toMatchObject({ errorCode: 20016 });
    const second = await token();
    expect(second).not.toBe(first);
    expect((await post(CREATE_PATH, { ...body, corpAccessToken: second })).errorCode).toBe(0);
    expect(crm.records).toHaveLength(3);
  });

  it('never keeps a credential in its request log', async () => {
    await create({ name: '张三', mobile: '13800138000' });
    const log = JSON.stringify(crm.requests);
    for (const secret of [crm.appSecret, crm.permanentCode, '张三', '13800138000']) expect(log).not.toContain(secret);
  });
});

describe('create LeadsObj', () => {
  it('creates a record with the fields sent and answers its dataId', async () => {
    const answer = await create({ name: '张三', mobile: '+86 138-0013-8000', [LEAD_ID_FIELD]: '221985', remark: '备注' });
    expect(answer).toMatchObject({ errorCode: 0, errorMessage: 'OK' });
    expect(crm.records).toHaveLength(1);
    expect(crm.records[0]).toMatchObject({
      dataId: answer.dataId,
      fields: { name: '张三', mobile: '+86 138-0013-8000', [LEAD_ID_FIELD]: '221985', remark: '备注' },
      triggerApprovalFlow: false,
      triggerWorkFlow: true,
    });
    expect(crm.requests.every((entry) => entry.thirdTraceId)).toBe(true);
  });

  it('makes a second record for the same call: the API has no idempotency key', async () => {
    await create({ name: '张三', [LEAD_ID_FIELD]: '1' });
    await create({ name: '张三', [LEAD_ID_FIELD]: '1' });
    expect(crm.recordsWhere(LEAD_ID_FIELD, '1')).toHaveLength(2);
  });

  it.each([
    ['no corpAccessToken', { corpAccessToken: undefined }, 10013],
    ['an unknown corpAccessToken', { corpAccessToken: 'FFFF' }, 20016],
    ['no corpId', { corpId: '' }, 10014],
    ['another corpId', { corpId: 'FSCID_other' }, 11015],
    ['no currentOpenUserId', { currentOpenUserId: undefined }, 10010],
    ['an unknown currentOpenUserId', { currentOpenUserId: 'FSUID_nobody' }, 20012],
    ['a non-boolean triggerWorkFlow', { triggerWorkFlow: 'false' }, 32000],
  ])('refuses %s', async (_what, common, code) => {
    expect(await create({ name: '张三' }, common)).toMatchObject({ errorCode: code });
    expect(crm.records).toHaveLength(0);
  });

  it.each([
    ['an unknown field', { name: '张三', wechat__c: 'x' }, '字段[wechat__c]不存在'],
    ['no name', { company: 'ACME' }, '必填字段[name]未填写'],
    ['an empty name', { name: '' }, '必填字段[name]未填写'],
    ['a name over 100 characters', { name: '张'.repeat(101) }, '字段[name]长度超过100'],
    ['a ciphertext in the phone field', { name: '张三', mobile: 'q83vEjRWeJA=' }, '字段[mobile]不是合法的电话号码'],
    ['a number in a text field', { name: 42 }, '字段[name]须为文本'],
    ['a bad email', { name: '张三', email: 'nobody' }, '字段[email]不是合法的邮箱'],
  ])('rejects %s with 32000 naming the field', async (_what, objectData, message) => {
    const answer = await create(objectData);
    expect(answer.errorCode).toBe(32000);
    expect(answer.errorMessage).toContain(message);
    expect(crm.records).toHaveLength(0);
  });

  it('rejects another object and a body without object_data', async () => {
    expect(await create({ dataObjectApiName: 'AccountObj', name: 'x' })).toMatchObject({ errorCode: 32000 });
    const common = { corpAccessToken: await token(), corpId: crm.corpId, currentOpenUserId: crm.openUserIds[0] };
    expect(await post(CREATE_PATH, { ...common, data: {} })).toMatchObject({ errorCode: 32000 });
  });

  it('rejects a custom field the corp has not created', async () => {
    await crm.close();
    crm = await startSimulatedFxiaoke({ fields: { name: { type: 'text', maxLength: 100, required: true } } });
    expect((await create({ name: '张三', [LEAD_ID_FIELD]: '1' })).errorMessage).toContain(`字段[${LEAD_ID_FIELD}]不存在`);
  });
});

describe('query LeadsObj', () => {
  async function query(searchQueryInfo: Record<string, unknown>): Promise<Record<string, unknown>> {
    return post(QUERY_PATH, {
      corpAccessToken: await token(),
      corpId: crm.corpId,
      currentOpenUserId: crm.openUserIds[0],
      data: { dataObjectApiName: 'LeadsObj', search_query_info: searchQueryInfo },
    });
  }

  it('finds the records whose field equals the value', async () => {
    const created = await create({ name: '张三', [LEAD_ID_FIELD]: '7' });
    await create({ name: '李四', [LEAD_ID_FIELD]: '8' });
    const answer = await query({
      limit: 10,
      offset: 0,
      filters: [{ field_name: LEAD_ID_FIELD, field_values: ['7'], operator: 'EQ' }],
    });
    expect(answer).toMatchObject({ errorCode: 0, data: { total: 1, dataList: [{ _id: created.dataId, [LEAD_ID_FIELD]: '7' }] } });
  });

  it.each([
    ['a limit over 100', { limit: 101, offset: 0, filters: [] }],
    ['an offset that is not a multiple of limit', { limit: 10, offset: 5, filters: [] }],
    ['no filters', { limit: 10, offset: 0 }],
    ['an unknown field', { limit: 10, offset: 0, filters: [{ field_name: 'x__c', field_values: ['1'], operator: 'EQ' }] }],
    [
      'an unknown operator',
      { limit: 10, offset: 0, filters: [{ field_name: 'name', field_values: ['1'], operator: 'SOUNDSLIKE' }] },
    ],
    ['EQ with two values', { limit: 10, offset: 0, filters: [{ field_name: 'name', field_values: ['1', '2'], operator: 'EQ' }] }],
  ])('refuses %s with 32000', async (_what, info) => {
    expect(await query(info)).toMatchObject({ errorCode: 32000 });
  });
});

describe('faults', () => {
  it('answers queued faults on the calls of their endpoint, in order', async () => {
    crm.queueFault({ kind: 'rate-limit' }, { kind: 'system-busy' }, { kind: 'service-error' }, { kind: 'token-expired' });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await create({ name: '张三' })).errorCode);
    expect(codes).toEqual([30004, -1, 50009, 20016, 0]);
    expect(crm.records).toHaveLength(1);
  });

  it('answers a fault meant for the token call there, not on create', async () => {
    crm.queueFault({ on: 'token', kind: 'system-busy' });
    expect(await post(TOKEN_PATH, credentials())).toMatchObject({ errorCode: -1 });
    expect((await create({ name: '张三' })).errorCode).toBe(0);
  });

  it('checks the token before answering a fault, and keeps the fault for the next call that passes', async () => {
    crm.queueFault({ kind: 'system-busy' });
    const common = { corpAccessToken: 'FFFF', corpId: crm.corpId, currentOpenUserId: crm.openUserIds[0] };
    expect(await post(CREATE_PATH, { ...common, data: {} })).toMatchObject({ errorCode: 20016 });
    expect((await create({ name: '张三' })).errorCode).toBe(-1);
    expect((await create({ name: '张三' })).errorCode).toBe(0);
    const creates = crm.requests.filter((r) => r.endpoint === 'create');
    expect(creates.map((r) => [r.outcome, r.fault])).toEqual([
      [20016, undefined],
      [-1, 'system-busy'],
      [0, undefined],
    ]);
  });

  it('answers a proxy fault to whichever call comes, whatever its token', async () => {
    crm.queueFault({ kind: 'http-error' });
    const response = await request(`${crm.url}${CREATE_PATH}`, {
      method: 'POST',
      dispatcher: agent,
      body: JSON.stringify({ corpAccessToken: 'FFFF' }),
    });
    expect(response.statusCode).toBe(502);
    await response.body.text();
    expect((await create({ name: '张三' })).errorCode).toBe(0);
  });

  it('answers an HTML 502 for an http-error fault', async () => {
    crm.setFault('create', { kind: 'http-error' });
    const response = await request(`${crm.url}${CREATE_PATH}`, { method: 'POST', dispatcher: agent, body: '{}' });
    expect(response.statusCode).toBe(502);
    expect(await response.body.text()).toContain('Bad Gateway');
    crm.setFault('create', undefined);
    expect((await create({ name: '张三' })).errorCode).toBe(0);
  });

  it('keeps the record of an accept-then-drop call although the caller hears nothing', async () => {
    crm.queueFault({ kind: 'accept-then-drop' });
    await expect(create({ name: '张三', [LEAD_ID_FIELD]: '9' })).rejects.toThrow();
    expect(crm.recordsWhere(LEAD_ID_FIELD, '9')).toHaveLength(1);
  });

  it('expires every token on expireTokens()', async () => {
    const before = await token();
    crm.expireTokens();
    const common = { corpAccessToken: before, corpId: crm.corpId, currentOpenUserId: crm.openUserIds[0] };
    expect(await post(CREATE_PATH, { ...common, data: {} })).toMatchObject({ errorCode: 20016 });
    expect(await token()).not.toBe(before);
  });

  it('answers 404 on a path it does not serve', async () => {
    const response = await request(`${crm.url}/cgi/crm/v2/data/update`, { method: 'POST', dispatcher: agent, body: '{}' });
    expect(response.statusCode).toBe(404);
    await response.body.text();
  });
});
