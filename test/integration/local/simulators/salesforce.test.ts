import { Agent, request } from 'undici';
import {
  DEFAULT_EXTERNAL_ID_FIELD,
  startSimulatedSalesforce,
  type SimulatedSalesforce,
} from '../../../../functions/local/simulators/salesforce';

// The simulated org checked with hand-built HTTP requests: it must refuse what a real org
// refuses, or the connector's tests prove nothing.

let agent: Agent;
let org: SimulatedSalesforce;
let clock: number;

beforeAll(() => {
  agent = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await agent.close();
});
beforeEach(async () => {
  clock = 1_800_000_000_000;
  org = await startSimulatedSalesforce({ tokenLifetimeMs: 60_000, now: () => clock });
});
afterEach(async () => {
  await org.close();
});

interface Answer {
  status: number;
  json: unknown;
}

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${org.url}${path}`, {
    method: method as 'POST',
    dispatcher: agent,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function token(form: Record<string, string> = {}): Promise<Answer> {
  const params = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: org.clientId,
    client_secret: org.clientSecret,
    ...form,
  });
  return call('POST', '/services/oauth2/token', params.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
}

async function accessToken(): Promise<string> {
  const answer = await token();
  return (answer.json as { access_token: string }).access_token;
}

const leadPath = (id: string, version = 'v62.0', field = DEFAULT_EXTERNAL_ID_FIELD): string =>
  `/services/data/${version}/sobjects/Lead/${field}/${id}`;

async function upsert(
  bearer: string,
  id: string,
  fields: unknown,
  version = 'v62.0',
  field = DEFAULT_EXTERNAL_ID_FIELD,
): Promise<Answer> {
  return call('PATCH', leadPath(id, version, field), JSON.stringify(fields), {
    authorization: `Bearer ${bearer}`,
    'content-type': 'application/json',
  });
}

const valid = { LastName: '**三', Company: '测试店铺名', MobilePhone: '13800000000' };

describe('token endpoint (client credentials)', () => {
  it('grants a bearer token naming the instance, with no expires_in', async () => {
    const answer = await token();
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ token_type: 'Bearer', instance_url: org.url });
    expect(answer.json).not.toHaveProperty('expires_in');
    expect(org.tokensIssued).toBe(1);
  });

  it('accepts the client credentials in HTTP Basic instead of the form', async () => {
    const basic = Buffer.from(`${org.clientId}:${org.clientSecret}`).toString('base64');
    const answer = await call('POST', '/services/oauth2/token', 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
    });
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a wrong secret', { client_secret: 'nope' }, 'invalid_client'],
    ['an unknown client id', { client_id: 'nope' }, 'invalid_client_id'],
    ['another grant type', { grant_type: 'password' }, 'unsupported_grant_type'],
  ])('refuses %s with the OAuth error', async (_name, form, error) => {
    const answer = await token(form);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error, error_description: expect.any(String) as string });
    expect(org.tokensIssued).toBe(0);
  });

  it('refuses a revoked secret until it is restored', async () => {
    org.setCredentialsRevoked(true);
    expect((await token()).json).toMatchObject({ error: 'invalid_client' });
    org.setCredentialsRevoked(false);
    expect((await token()).status).toBe(200);
  });

  it('refuses a JSON body: the endpoint takes a form', async () => {
    const answer = await call('POST', '/services/oauth2/token', '{}', { 'content-type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: 'invalid_request' });
  });
});

describe('upsert a Lead by external id', () => {
  it('creates once, then updates the same record on a re-send (201, then 200 with created false)', async () => {
    const bearer = await accessToken();
    const first = await upsert(bearer, '221985', valid);
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      id: expect.stringMatching(/^00Q[0-9A-Za-z]{15}$/) as string,
      success: true,
      errors: [],
      created: true,
    });
    const again = await upsert(bearer, '221985', { ...valid, Description: 'second' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ id: (first.json as { id: string }).id, success: true, errors: [], created: false });
    expect(org.records).toHaveLength(1);
    expect(org.records[0]!.fields).toMatchObject({
      ...valid,
      Description: 'second',
      Status: 'Open - Not Contacted',
      [DEFAULT_EXTERNAL_ID_FIELD]: '221985',
    });
    expect(org.records[0]!.writes).toBe(2);
    expect(org.recordByExternalId(DEFAULT_EXTERNAL_ID_FIELD, '221985')?.id).toBe((first.json as { id: string }).id);
  });

  it('answers an update 204 without a body before API 46.0, and leaves out created', async () => {
    const bearer = await accessToken();
    const first = await upsert(bearer, '7', valid, 'v45.0');
    expect(first.json).toEqual({ id: expect.any(String) as string, success: true, errors: [] });
    const again = await upsert(bearer, '7', valid, 'v45.0');
    expect(again).toEqual({ status: 204, json: undefined });
  });

  it('matches field names case-insensitively and stores them as defined', async () => {
    const bearer = await accessToken();
    expect((await upsert(bearer, '8', { lastname: 'x', COMPANY: 'y' })).status).toBe(201);
    expect(org.records[0]!.fields).toMatchObject({ LastName: 'x', Company: 'y' });
  });

  it.each([
    ['a missing token', undefined],
    ['an unknown token', 'forged'],
  ])('answers 401 INVALID_SESSION_ID for %s', async (_name, bearer) => {
    const answer = await call('PATCH', leadPath('1'), JSON.stringify(valid), {
      'content-type': 'application/json',
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
    });
    expect(answer).toEqual({ status: 401, json: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] });
    expect(org.records).toHaveLength(0);
  });

  it('expires a token after its lifetime, and a new one works', async () => {
    const bearer = await accessToken();
    expect((await upsert(bearer, '1', valid)).status).toBe(201);
    clock += 60_000;
    expect(await upsert(bearer, '2', valid)).toMatchObject({ status: 401, json: [{ errorCode: 'INVALID_SESSION_ID' }] });
    expect((await upsert(await accessToken(), '2', valid)).status).toBe(201);
  });

  it('ends every session on expireAllTokens', async () => {
    const bearer = await accessToken();
    org.expireAllTokens();
    expect((await upsert(bearer, '1', valid)).status).toBe(401);
  });

  it('refuses an unknown field with INVALID_FIELD and stores nothing', async () => {
    const answer = await upsert(await accessToken(), '1', { ...valid, Lead_Score__c: 3 });
    expect(answer).toEqual({
      status: 400,
      json: [{ message: "No such column 'Lead_Score__c' on sobject of type Lead", errorCode: 'INVALID_FIELD' }],
    });
    expect(org.records).toHaveLength(0);
  });

  it('refuses a create without LastName and Company with REQUIRED_FIELD_MISSING', async () => {
    const answer = await upsert(await accessToken(), '1', { MobilePhone: '1' });
    expect(answer).toEqual({
      status: 400,
      json: [
        {
          message: 'Required fields are missing: [LastName, Company]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['LastName', 'Company'],
        },
      ],
    });
  });

  it('refuses an update that blanks a required field', async () => {
    const bearer = await accessToken();
    await upsert(bearer, '1', valid);
    expect(await upsert(bearer, '1', { Company: null })).toMatchObject({
      status: 400,
      json: [{ errorCode: 'REQUIRED_FIELD_MISSING' }],
    });
    expect(org.records[0]!.fields.Company).toBe(valid.Company);
  });

  it('refuses a MobilePhone over 40 characters with STRING_TOO_LONG', async () => {
    const answer = await upsert(await accessToken(), '1', { ...valid, MobilePhone: 'x'.repeat(41) });
    expect(answer).toMatchObject({ status: 400, json: [{ errorCode: 'STRING_TOO_LONG', fields: ['MobilePhone'] }] });
    expect((answer.json as { message: string }[])[0]!.message).toContain('(max length=40)');
  });

  it('counts characters, not bytes: 80 Chinese characters fit LastName', async () => {
    expect((await upsert(await accessToken(), '1', { ...valid, LastName: '张'.repeat(80) })).status).toBe(201);
  });

  it.each([
    ['a number for a text field', { ...valid, LastName: 5 }],
    ['an object for a text field', { ...valid, Company: { name: 'x' } }],
  ])('refuses %s with JSON_PARSER_ERROR', async (_name, fields) => {
    expect(await upsert(await accessToken(), '1', fields)).toMatchObject({
      status: 400,
      json: [{ errorCode: 'JSON_PARSER_ERROR' }],
    });
  });

  it('refuses a body that is not JSON, and one that is not an object', async () => {
    const bearer = await accessToken();
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
    expect(await call('PATCH', leadPath('1'), '{nope', headers)).toMatchObject({
      status: 400,
      json: [{ errorCode: 'JSON_PARSER_ERROR' }],
    });
    expect(await call('PATCH', leadPath('1'), '[1]', headers)).toMatchObject({
      status: 400,
      json: [{ errorCode: 'JSON_PARSER_ERROR' }],
    });
  });

  it('refuses a read-only field', async () => {
    expect(await upsert(await accessToken(), '1', { ...valid, CreatedDate: '2026-01-01T00:00:00Z' })).toMatchObject({
      status: 400,
      json: [{ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' }],
    });
  });

  it('refuses a field that is not an external id as the key (404 NOT_FOUND)', async () => {
    const bearer = await accessToken();
    expect(await upsert(bearer, '1', valid, 'v62.0', 'LastName')).toMatchObject({
      status: 404,
      json: [{ errorCode: 'NOT_FOUND' }],
    });
    expect(await upsert(bearer, '1', valid, 'v62.0', 'Nope__c')).toMatchObject({
      status: 404,
      json: [{ errorCode: 'NOT_FOUND' }],
    });
  });

  it('refuses the key in the body with a value other than the URL', async () => {
    const answer = await upsert(await accessToken(), '1', { ...valid, [DEFAULT_EXTERNAL_ID_FIELD]: '2' });
    expect(answer).toMatchObject({ status: 400, json: [{ errorCode: 'INVALID_FIELD' }] });
  });

  it('refuses another method, another object and a wrong content type', async () => {
    const bearer = await accessToken();
    const auth = { authorization: `Bearer ${bearer}` };
    expect(
      await call('POST', leadPath('1'), JSON.stringify(valid), { ...auth, 'content-type': 'application/json' }),
    ).toMatchObject({ status: 405 });
    expect(
      await call('PATCH', `/services/data/v62.0/sobjects/Contact/${DEFAULT_EXTERNAL_ID_FIELD}/1`, '{}', {
        ...auth,
        'content-type': 'application/json',
      }),
    ).toMatchObject({ status: 404 });
    expect(
      await call('PATCH', leadPath('1'), 'LastName=x', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }),
    ).toMatchObject({
      status: 415,
    });
  });
});

describe('API request limit', () => {
  async function limited(requests: number, windowMs: number): Promise<void> {
    await org.close();
    org = await startSimulatedSalesforce({ apiRequestLimit: { requests, windowMs }, now: () => clock });
  }

  async function usage(bearer: string, id: string): Promise<{ status: number; header: unknown }> {
    const response = await request(`${org.url}${leadPath(id)}`, {
      method: 'PATCH',
      dispatcher: agent,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(valid),
    });
    await response.body.text();
    return { status: response.statusCode, header: response.headers['sforce-limit-info'] };
  }

  it('counts served calls in a rolling window, refuses the rest with 403 REQUEST_LIMIT_EXCEEDED, and serves again as old calls leave the window', async () => {
    await limited(3, 60_000);
    const bearer = await accessToken();
    expect(await usage(bearer, '1')).toEqual({ status: 201, header: 'api-usage=1/3' });
    clock += 30_000;
    expect(await usage(bearer, '2')).toEqual({ status: 201, header: 'api-usage=2/3' });
    // A refused body is still a served call.
    expect((await upsert(bearer, '3', { MobilePhone: '1' })).status).toBe(400);
    expect(await upsert(bearer, '4', valid)).toEqual({
      status: 403,
      json: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    });
    expect(await usage(bearer, '4')).toEqual({ status: 403, header: 'api-usage=3/3' });
    expect(org.recordByExternalId(DEFAULT_EXTERNAL_ID_FIELD, '4')).toBeUndefined();
    // The token endpoint and a call without a valid session are not counted, and a refused call
    // does not move the window: the first call leaves it 60 s after it came.
    expect((await upsert('forged', '4', valid)).status).toBe(401);
    clock += 30_000;
    expect(await usage(await accessToken(), '4')).toEqual({ status: 201, header: 'api-usage=3/3' });
    expect((await upsert(bearer, '5', valid)).status).toBe(403);
  });

  it('is not met by a queued fault while the allocation is used up', async () => {
    await limited(1, 60_000);
    const bearer = await accessToken();
    expect((await upsert(bearer, '1', valid)).status).toBe(201);
    org.queueFault({ kind: 'server-error' });
    expect((await upsert(bearer, '2', valid)).status).toBe(403);
    clock += 60_000;
    expect((await upsert(bearer, '2', valid)).status).toBe(500);
    expect(org.requests.filter((entry) => entry.fault !== undefined).map((entry) => entry.status)).toEqual([500]);
  });

  it('sends no usage header and never refuses without a limit', async () => {
    const bearer = await accessToken();
    for (let i = 0; i < 20; i += 1) expect(await usage(bearer, String(i))).toEqual({ status: 201, header: undefined });
  });
});

describe('faults', () => {
  it('answers a queued rate limit with 403 REQUEST_LIMIT_EXCEEDED, then works again', async () => {
    const bearer = await accessToken();
    org.queueFault({ kind: 'request-limit' });
    expect(await upsert(bearer, '1', valid)).toEqual({
      status: 403,
      json: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    });
    expect(org.records).toHaveLength(0);
    expect((await upsert(bearer, '1', valid)).status).toBe(201);
  });

  it('answers 503 and 500 as queued, storing nothing', async () => {
    const bearer = await accessToken();
    org.queueFault({ kind: 'unavailable' }, { kind: 'server-error' });
    const unavailable = await request(`${org.url}${leadPath('1')}`, {
      method: 'PATCH',
      dispatcher: agent,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(valid),
    });
    await unavailable.body.text();
    expect(unavailable.statusCode).toBe(503);
    expect(await upsert(bearer, '1', valid)).toMatchObject({ status: 500, json: [{ errorCode: 'UNKNOWN_EXCEPTION' }] });
    expect(org.records).toHaveLength(0);
  });

  it('keeps queued faults for calls with a valid session: an ended session is refused first and takes none', async () => {
    const stale = await accessToken();
    org.expireAllTokens();
    org.queueFault({ kind: 'request-limit' }, { kind: 'server-error' });
    expect(await upsert(stale, '1', valid)).toMatchObject({ status: 401, json: [{ errorCode: 'INVALID_SESSION_ID' }] });
    expect(await upsert(stale, '2', valid)).toMatchObject({ status: 401, json: [{ errorCode: 'INVALID_SESSION_ID' }] });
    const bearer = await accessToken();
    expect(await upsert(bearer, '1', valid)).toMatchObject({ status: 403, json: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
    expect(await upsert(bearer, '1', valid)).toMatchObject({ status: 500, json: [{ errorCode: 'UNKNOWN_EXCEPTION' }] });
    expect((await upsert(bearer, '1', valid)).status).toBe(201);
    expect(org.requests.filter((entry) => entry.kind === 'upsert').map((entry) => [entry.status, entry.fault])).toEqual([
      [401, undefined],
      [401, undefined],
      [403, 'request-limit'],
      [500, 'server-error'],
      [201, undefined],
    ]);
  });

  it('keeps a standing fault until cleared', async () => {
    const bearer = await accessToken();
    org.setFault({ kind: 'session-expired' });
    expect((await upsert(bearer, '1', valid)).status).toBe(401);
    expect((await upsert(bearer, '1', valid)).status).toBe(401);
    org.setFault(undefined);
    expect((await upsert(bearer, '1', valid)).status).toBe(201);
  });

  it('stores the record and drops the answer on accept-then-drop', async () => {
    const bearer = await accessToken();
    org.queueFault({ kind: 'accept-then-drop' });
    await expect(upsert(bearer, '1', valid)).rejects.toThrow();
    expect(org.records).toHaveLength(1);
    expect((await upsert(bearer, '1', valid)).status).toBe(200);
    expect(org.records).toHaveLength(1);
  });

  it('logs requests without tokens, secrets or field values', async () => {
    const bearer = await accessToken();
    await upsert(bearer, '1', valid);
    const logged = JSON.stringify(org.requests);
    expect(logged).not.toContain(bearer);
    expect(logged).not.toContain(org.clientSecret);
    expect(logged).not.toContain(valid.MobilePhone);
    expect(org.requests.map((entry) => [entry.kind, entry.status, entry.outcome])).toEqual([
      ['token', 200, undefined],
      ['upsert', 201, 'created'],
    ]);
  });
});
