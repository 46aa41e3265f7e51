import { Agent, request } from 'undici';
import { isRecord } from '../../../../functions/shared/domain/is-record';
import { startSimulatedHubSpot, type HubSpotFault, type SimulatedHubSpot } from '../../../../functions/local/simulators/hubspot';

// The simulator checked with hand-built HTTP requests: it must refuse what HubSpot refuses, or the
// connector tests prove nothing.

let agent: Agent;
let hubspot: SimulatedHubSpot;
let now: number;

beforeAll(() => {
  agent = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await agent.close();
});
beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 8, 0, 0);
  hubspot = await startSimulatedHubSpot({ now: () => now });
});
afterEach(async () => {
  await hubspot.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

async function call(
  path: string,
  body: unknown,
  options: { token?: string | null; method?: 'POST' | 'GET' } = {},
): Promise<Answer> {
  const token = options.token === undefined ? hubspot.token : options.token;
  const response = await request(`${hubspot.url}${path}`, {
    method: options.method ?? 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    ...(options.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.body.text();
  const json: unknown = text.startsWith('{') ? JSON.parse(text) : { text };
  if (!isRecord(json)) throw new Error(`not an object: ${text}`);
  return { status: response.statusCode, headers: response.headers, json };
}

const UPSERT = '/crm/v3/objects/contacts/batch/upsert';
function input(id: string, properties: Record<string, unknown> = { firstname: '**三' }, extra: Record<string, unknown> = {}) {
  return { id, idProperty: 'alimama_lead_id', properties, ...extra };
}
function upsert(...inputs: unknown[]): Promise<Answer> {
  return call(UPSERT, { inputs });
}
function results(answer: Answer): Record<string, unknown>[] {
  const list = answer.json.results;
  if (!Array.isArray(list)) throw new Error(`no results in ${JSON.stringify(answer.json)}`);
  return list.filter(isRecord);
}

describe('upsert by the unique property', () => {
  it('creates one record, and a re-send of the same id updates it instead of making a second', async () => {
    const first = await upsert(input('221985', { firstname: '**三', mobilephone: '13800000000' }));
    expect(first.status).toBe(200);
    expect(first.json.status).toBe('COMPLETE');
    const [created] = results(first);
    expect(created).toMatchObject({ new: true, archived: false });
    expect(created!.properties).toMatchObject({ alimama_lead_id: '221985', firstname: '**三', mobilephone: '13800000000' });

    const again = await upsert(input('221985', { firstname: '**四' }));
    expect(results(again)[0]).toMatchObject({ id: created!.id, new: false });
    expect(hubspot.records()).toHaveLength(1);
    expect(hubspot.find('alimama_lead_id', '221985')).toMatchObject({ id: created!.id, writes: 2 });
    expect(hubspot.find('alimama_lead_id', '221985')!.properties.firstname).toBe('**四');
  });

  it('accepts the numeric object type id 0-1 for contacts and takes numbers as their text', async () => {
    const answer = await call('/crm/v3/objects/0-1/batch/upsert', { inputs: [input('7', { firstname: 12 })] });
    expect(answer.status).toBe(200);
    expect(hubspot.find('alimama_lead_id', '7')!.properties.firstname).toBe('12');
  });

  it('refuses an idProperty that is not a unique property, and writes nothing', async () => {
    const answer = await upsert({ id: '1', idProperty: 'firstname', properties: {} });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(answer.json.message).toMatch(
      /^Unable to perform update\/upsert by non-unique 0-1 property firstname in portal ID \d+$/,
    );
    expect(hubspot.records()).toHaveLength(0);
  });

  it.each([
    ['a property that does not exist', { alimama_page: 'x' }, 'PROPERTY_DOESNT_EXIST', 'alimama_page'],
    ['a read-only property', { hs_object_id: '5' }, 'READ_ONLY_VALUE', 'hs_object_id'],
    ['an option the enumeration lacks', { hs_lead_status: 'HOT' }, 'INVALID_OPTION', 'hs_lead_status'],
    ['an invalid email', { email: 'not-an-email' }, 'INVALID_EMAIL', 'email'],
    ['a ciphertext in a phone field', { mobilephone: 'Pci/6KXf+q0aBc==' }, 'INVALID_PHONE_NUMBER', 'mobilephone'],
    ['a text over 65,536 characters', { message: 'x'.repeat(65_537) }, 'INVALID_LONG', 'message'],
  ])('refuses %s with VALIDATION_ERROR and the property code, and writes nothing', async (_what, properties, code, name) => {
    const answer = await upsert(input('221985', properties));
    expect(answer.status).toBe(400);
    expect(answer.json.category).toBe('VALIDATION_ERROR');
    expect(answer.json.message).toMatch(/^Property values were not valid: \[/);
    expect(answer.json.message).toContain(`"error":"${code}"`);
    expect(answer.json.errors).toEqual([expect.objectContaining({ code, context: { propertyName: [name] } })]);
    expect(hubspot.records()).toHaveLength(0);
  });

  it.each([
    [
      'hs_lead_status',
      { hs_lead_status: '**三 13800138000' },
      '**三 13800138000 was not one of the allowed options: [NEW, OPEN, ',
    ],
    ['email', { email: '**三' }, 'Email address **三 is invalid'],
  ])('quotes the refused value of %s in its messages, as HubSpot does', async (_name, properties, quoted) => {
    const answer = await upsert(input('221985', properties));
    expect(answer.json.message).toContain(quoted);
    expect(JSON.stringify(answer.json.errors)).toContain(quoted);
  });

  it.each([
    ['a body that is not JSON', '{"inputs": ['],
    ['no inputs', { inputs: [] }],
    ['an input without an id', { inputs: [{ idProperty: 'alimama_lead_id', properties: {} }] }],
    ['an input without properties', { inputs: [{ id: '1', idProperty: 'alimama_lead_id' }] }],
    ['more than 100 inputs', { inputs: Array.from({ length: 101 }, (_, i) => input(String(i + 1))) }],
    ['the same id twice in one batch', { inputs: [input('1'), input('1')] }],
  ])('refuses %s with 400 VALIDATION_ERROR', async (_what, body) => {
    const answer = await call(UPSERT, body);
    expect(answer.status).toBe(400);
    expect(answer.json.category).toBe('VALIDATION_ERROR');
    expect(hubspot.records()).toHaveLength(0);
  });

  it('answers 207 naming the failed input when the inputs carry objectWriteTraceId', async () => {
    const answer = await upsert(
      input('1', {}, { objectWriteTraceId: 'a' }),
      input('2', { nope: 'x' }, { objectWriteTraceId: 'b' }),
    );
    expect(answer.status).toBe(207);
    expect(answer.json.numErrors).toBe(1);
    expect(answer.json.errors).toEqual([
      expect.objectContaining({ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['b'] } }),
    ]);
    expect(results(answer)).toEqual([expect.objectContaining({ objectWriteTraceId: 'a', new: true })]);
    expect(hubspot.records().map((held) => held.properties.alimama_lead_id)).toEqual(['1']);
  });

  it('refuses an unknown object type and a wrong verb', async () => {
    expect((await call('/crm/v3/objects/leadz/batch/upsert', { inputs: [input('1')] })).status).toBe(400);
    expect((await call(UPSERT, undefined, { method: 'GET' })).status).toBe(405);
  });
});

describe('the private-app token', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'pat-na1-wrong'],
  ])('refuses %s with 401 INVALID_AUTHENTICATION', async (_what, token) => {
    const answer = await call(UPSERT, { inputs: [input('1')] }, { token });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(hubspot.requests.at(-1)).toMatchObject({ status: 401, auth: token === null ? 'missing' : 'invalid' });
    expect(hubspot.records()).toHaveLength(0);
  });

  it('after a rotation the old token works until it expires, then gets EXPIRED_AUTHENTICATION; the new one works', async () => {
    const old = hubspot.token;
    const rotated = hubspot.rotateToken({ expireOldAfterMs: 60_000 });
    expect(rotated).not.toBe(old);
    expect((await call(UPSERT, { inputs: [input('1')] }, { token: old })).status).toBe(200);
    now += 60_000;
    const expired = await call(UPSERT, { inputs: [input('2')] }, { token: old });
    expect(expired.status).toBe(401);
    expect(expired.json.category).toBe('EXPIRED_AUTHENTICATION');
    expect((await call(UPSERT, { inputs: [input('2')] }, { token: rotated })).status).toBe(200);
  });

  it('a token with a configured lifetime expires after it', async () => {
    await hubspot.close();
    hubspot = await startSimulatedHubSpot({ now: () => now, tokenLifetimeMs: 1_000 });
    expect((await upsert(input('1'))).status).toBe(200);
    now += 1_000;
    expect((await upsert(input('2'))).json.category).toBe('EXPIRED_AUTHENTICATION');
  });

  it('refuses a write without the write scope with 403 MISSING_SCOPES', async () => {
    hubspot.setScopes(['crm.objects.contacts.read']);
    const answer = await upsert(input('1'));
    expect(answer.status).toBe(403);
    expect(answer.json.category).toBe('MISSING_SCOPES');
    expect(hubspot.records()).toHaveLength(0);
  });

  it('answers the token-info and list probes, and counts them', async () => {
    const info = await call('/oauth/v2/private-apps/get/access-token-info', { tokenKey: hubspot.token }, { token: null });
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({
      hubId: hubspot.portalId,
      scopes: ['crm.objects.contacts.read', 'crm.objects.contacts.write'],
    });
    const bad = await call('/oauth/v2/private-apps/get/access-token-info', { tokenKey: 'pat-na1-wrong' }, { token: null });
    expect(bad.status).toBe(401);
    const list = await call('/crm/v3/objects/contacts?limit=1', undefined, { method: 'GET' });
    expect(list.status).toBe(200);
    expect(list.json.results).toEqual([]);
    expect(hubspot.tokenChecks).toBe(3);
  });
});

describe('faults and limits', () => {
  it.each<[HubSpotFault, string]>([
    [{ kind: 'rate-limit' }, 'TEN_SECONDLY_ROLLING'],
    [{ kind: 'rate-limit', policy: 'DAILY', retryAfterSeconds: 30 }, 'DAILY'],
  ])('a rate-limit fault answers 429 with the policy name (%j)', async (fault, policy) => {
    hubspot.queueFault(fault);
    const answer = await upsert(input('1'));
    expect(answer.status).toBe(429);
    expect(answer.json).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: policy });
    expect(answer.json.message).toBe(`You have reached your ${policy.toLowerCase()} limit.`);
    if (fault.kind === 'rate-limit' && fault.retryAfterSeconds !== undefined) expect(answer.headers['retry-after']).toBe('30');
    expect(hubspot.records()).toHaveLength(0);
    expect((await upsert(input('1'))).status).toBe(200);
  });

  it('a burst limit refuses the call over the window with TEN_SECONDLY_ROLLING, and the headers count down', async () => {
    await hubspot.close();
    hubspot = await startSimulatedHubSpot({ now: () => now, burstLimit: { max: 2, intervalMs: 10_000 } });
    const first = await upsert(input('1'));
    expect(first.headers['x-hubspot-ratelimit-max']).toBe('2');
    expect(first.headers['x-hubspot-ratelimit-remaining']).toBe('1');
    expect((await upsert(input('2'))).status).toBe(200);
    const limited = await upsert(input('3'));
    expect(limited.status).toBe(429);
    expect(limited.json.policyName).toBe('TEN_SECONDLY_ROLLING');
    now += 10_000;
    expect((await upsert(input('3'))).status).toBe(200);
    expect(hubspot.records()).toHaveLength(3);
  });

  it('a server error answers a 5xx JSON error and writes nothing; an HTML fault answers a 502 page', async () => {
    hubspot.queueFault({ kind: 'server-error', status: 503 }, { kind: 'html' });
    const failed = await upsert(input('1'));
    expect(failed.status).toBe(503);
    expect(failed.json.status).toBe('error');
    const html = await upsert(input('1'));
    expect(html.status).toBe(502);
    expect(hubspot.records()).toHaveLength(0);
  });

  it('a locked fault answers 423 and a migration fault 477 with its Retry-After; neither writes', async () => {
    hubspot.queueFault({ kind: 'locked' }, { kind: 'migration', retryAfterSeconds: 600 });
    const locked = await upsert(input('1'));
    expect(locked.status).toBe(423);
    expect(locked.json.status).toBe('error');
    const moving = await upsert(input('1'));
    expect(moving.status).toBe(477);
    expect(moving.headers['retry-after']).toBe('600');
    expect(hubspot.records()).toHaveLength(0);
    expect((await upsert(input('1'))).status).toBe(200);
  });

  it('checks the token before answering a fault, and keeps the fault for the next call that passes', async () => {
    const old = hubspot.token;
    const rotated = hubspot.rotateToken();
    hubspot.queueFault({ kind: 'rate-limit' }, { kind: 'server-error', status: 503 });
    expect(await call(UPSERT, { inputs: [input('1')] }, { token: old })).toMatchObject({
      status: 401,
      json: { category: 'EXPIRED_AUTHENTICATION' },
    });
    expect((await call(UPSERT, { inputs: [input('1')] }, { token: null })).status).toBe(401);
    expect((await call(UPSERT, { inputs: [input('1')] }, { token: rotated })).status).toBe(429);
    expect((await call(UPSERT, { inputs: [input('1')] }, { token: rotated })).status).toBe(503);
    expect((await call(UPSERT, { inputs: [input('1')] }, { token: rotated })).status).toBe(200);
    expect(hubspot.requests.map((r) => [r.auth, r.status, r.fault, r.inputIds])).toEqual([
      ['expired', 401, undefined, ['1']],
      ['missing', 401, undefined, ['1']],
      ['ok', 429, 'rate-limit', ['1']],
      ['ok', 503, 'server-error', ['1']],
      ['ok', 200, undefined, ['1']],
    ]);
    expect(hubspot.find('alimama_lead_id', '1')!.writes).toBe(1);
  });

  it('a call refused for a full rolling window takes no fault either', async () => {
    await hubspot.close();
    hubspot = await startSimulatedHubSpot({ now: () => now, burstLimit: { max: 1, intervalMs: 10_000 } });
    expect((await upsert(input('1'))).status).toBe(200);
    hubspot.queueFault({ kind: 'locked' });
    const limited = await upsert(input('2'));
    expect(limited).toMatchObject({ status: 429, json: { policyName: 'TEN_SECONDLY_ROLLING' } });
    now += 10_000;
    expect((await upsert(input('2'))).status).toBe(423);
    expect(hubspot.requests.map((r) => r.fault)).toEqual([undefined, undefined, 'locked']);
  });

  it('answers an edge fault (an HTML page, a dropped connection) to whichever call comes, whatever its token', async () => {
    hubspot.queueFault({ kind: 'html' }, { kind: 'drop-connection' });
    expect(await call(UPSERT, { inputs: [input('1')] }, { token: 'pat-na1-wrong' })).toMatchObject({ status: 502 });
    await expect(call(UPSERT, { inputs: [input('1')] }, { token: null })).rejects.toThrow();
    expect((await upsert(input('1'))).status).toBe(200);
    expect(hubspot.requests.map((r) => r.fault)).toEqual(['html', 'drop-connection', undefined]);
  });

  it("the token-info endpoint takes none of HubSpot's own faults", async () => {
    hubspot.queueFault({ kind: 'server-error' });
    const info = await call('/oauth/v2/private-apps/get/access-token-info', { tokenKey: hubspot.token }, { token: null });
    expect(info.status).toBe(200);
    expect((await upsert(input('1'))).status).toBe(500);
  });

  it('accept-then-drop writes the record and closes the connection unanswered', async () => {
    hubspot.queueFault({ kind: 'accept-then-drop' });
    await expect(upsert(input('1'))).rejects.toThrow();
    expect(hubspot.find('alimama_lead_id', '1')).toBeDefined();
  });

  it('records calls without the token', async () => {
    await upsert(input('1'));
    expect(hubspot.requests).toEqual([
      expect.objectContaining({ method: 'POST', path: UPSERT, auth: 'ok', status: 200, inputIds: ['1'] }),
    ]);
    expect(JSON.stringify(hubspot.requests)).not.toContain(hubspot.token);
  });
});
