import { Agent, request } from 'undici';
import { isRecord } from '../../../../functions/shared/domain/is-record';
import type { SignMethod } from '../../../../functions/shared/domain/settings';
import { parseJsonKeepingBigInts } from '../../../../functions/shared/taobao/json';
import { signTopRequest } from '../../../../functions/shared/taobao/sign';
import {
  generateLeads,
  startSimulatedGateway,
  type SimulatedGateway,
} from '../../../../functions/local/simulators/alimama-gateway';
import { formatTopTimestamp } from '../../../../functions/shared/taobao/timestamp';

// The gateway checked with hand-built HTTP requests: it must refuse what the real one refuses,
// or the client tests prove nothing.

const LIST = 'taobao.mama.crm.lead.list';
let agent: Agent;
let gateway: SimulatedGateway;

beforeAll(() => {
  agent = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await agent.close();
});
beforeEach(async () => {
  gateway = await startSimulatedGateway({ leads: generateLeads(5, { startId: '9007199254740990' }) });
});
afterEach(async () => {
  await gateway.close();
});

/** Correctly signed parameters; `undefined` in `overrides` removes a parameter before signing. */
function signed(overrides: Record<string, string | undefined> = {}, method: SignMethod = 'hmac-sha256'): Record<string, string> {
  const all: Record<string, string | undefined> = {
    method: LIST,
    app_key: gateway.appKey,
    session: gateway.sessionKey,
    timestamp: formatTopTimestamp(Date.now()),
    v: '2.0',
    format: 'json',
    sign_method: method,
    lead_external_query_dto: '{"page_size":2}',
    ...overrides,
  };
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(all)) if (value !== undefined) params[key] = value;
  params.sign = signTopRequest(params, gateway.appSecret, method);
  return params;
}

async function post(
  params: Record<string, string>,
  httpMethod: 'POST' | 'GET' = 'POST',
): Promise<{ status: number; contentType: string; text: string }> {
  const form = new URLSearchParams(params).toString();
  const response = await request(httpMethod === 'GET' ? `${gateway.url}?${form}` : gateway.url, {
    method: httpMethod,
    dispatcher: agent,
    ...(httpMethod === 'POST'
      ? { headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: form }
      : {}),
  });
  const contentType = response.headers['content-type'];
  return {
    status: response.statusCode,
    contentType: typeof contentType === 'string' ? contentType : '',
    text: await response.body.text(),
  };
}

/** The TOP error code in a response, or 'ok'. */
async function outcome(params: Record<string, string>): Promise<number | 'ok'> {
  const { text } = await post(params);
  const json = parseJsonKeepingBigInts(text);
  if (!isRecord(json)) throw new Error(`not an object: ${text}`);
  const error = json.error_response;
  if (error === undefined) return 'ok';
  if (!isRecord(error) || typeof error.code !== 'number') throw new Error(`odd error: ${text}`);
  return error.code;
}

describe('simulated gateway verification', () => {
  it.each(['md5', 'hmac', 'hmac-sha256'] as const)('accepts a correct %s signature', async (method) => {
    expect(await outcome(signed({}, method))).toBe('ok');
  });

  it('treats an absent sign_method as md5, like the real gateway', async () => {
    const params = signed({ sign_method: undefined }, 'md5');
    expect(await outcome(params)).toBe('ok');
  });

  it('refuses a parameter changed after signing (code 25)', async () => {
    const params = { ...signed(), lead_external_query_dto: '{"page_size":3}' };
    expect(await outcome(params)).toBe(25);
  });

  it('refuses a signature made with the wrong method (code 25)', async () => {
    expect(await outcome({ ...signed({}, 'hmac'), sign_method: 'hmac-sha256' })).toBe(25);
  });

  it('refuses a timestamp more than 10 minutes off either way (code 31) and accepts 9 minutes', async () => {
    const at = (offsetMs: number) => signed({ timestamp: formatTopTimestamp(Date.now() + offsetMs) });
    expect(await outcome(at(-11 * 60_000))).toBe(31);
    expect(await outcome(at(11 * 60_000))).toBe(31);
    expect(await outcome(at(-9 * 60_000))).toBe('ok');
    // Host-local (here: UTC) time instead of GMT+8 is 8 hours off.
    expect(await outcome(signed({ timestamp: new Date().toISOString().slice(0, 19).replace('T', ' ') }))).toBe(31);
  });

  it.each([
    ['method', 21],
    ['app_key', 28],
    ['timestamp', 30],
    ['v', 32],
    ['session', 26],
  ])('answers a missing %s with code %d', async (key, code) => {
    expect(await outcome(signed({ [key]: undefined }))).toBe(code);
  });

  it('answers a missing sign with 24, an unknown app key with 29, an unknown method with 22', async () => {
    const { sign: _sign, ...unsigned } = signed();
    expect(await outcome(unsigned)).toBe(24);
    expect(await outcome(signed({ app_key: '999' }))).toBe(29);
    expect(await outcome(signed({ method: 'taobao.item.seller.get' }))).toBe(22);
  });

  it('answers an unknown or expired session with 27', async () => {
    expect(await outcome(signed({ session: 'someone-else' }))).toBe(27);
    gateway.setSessionExpired(true);
    expect(await outcome(signed())).toBe(27);
    gateway.setSessionExpired(false);
    expect(await outcome(signed())).toBe('ok');
  });

  it.each([
    [undefined, 40],
    ['{}', 40],
    ['{"page_size":0}', 41],
    ['{"page_size":101}', 41],
    ['{"page_size":"ten"}', 41],
    ['{"offset":-5,"page_size":10}', 41],
    ['not json', 41],
  ])('checks lead_external_query_dto %j → %d', async (dto, code) => {
    expect(await outcome(signed({ lead_external_query_dto: dto }))).toBe(code);
  });

  it('also accepts GET with the parameters in the query string', async () => {
    const { text } = await post(signed(), 'GET');
    expect(text).toContain('"mama_crm_lead_list_response"');
  });

  it('answers 404 off its path', async () => {
    const response = await request(gateway.url.replace('/router/rest', '/nope'), { method: 'POST', dispatcher: agent, body: '' });
    expect(response.statusCode).toBe(404);
    await response.body.dump();
  });
});

describe('simulated gateway answers', () => {
  it('writes ids beyond 2^53 as bare JSON numbers with every digit, newest first', async () => {
    const { text } = await post(signed({ lead_external_query_dto: '{"offset":9007199254740994,"page_size":3}' }));
    expect(text).toMatch(/"id":9007199254740993,.*"id":9007199254740992,.*"id":9007199254740991[,}]/);
    expect(text).toContain('"seller_user_id":999999999');
    expect(text).toContain('"extend_list":{"lead_extend_d_t_o":[');
  });

  it('answers simplify=true at the root with bare lists', async () => {
    const { text } = await post(signed({ simplify: 'true' }));
    expect(text.startsWith('{"result_data":[{')).toBe(true);
    expect(text).toContain('"extend_list":[{');
  });

  it('serves an HTML 502 page and drops connections when told to', async () => {
    gateway.queueFault({ kind: 'html' });
    const html = await post(signed());
    expect(html.status).toBe(502);
    expect(html.contentType).toBe('text/html');
    expect(html.text).toContain('502 Bad Gateway');
    gateway.queueFault({ kind: 'drop-connection' });
    await expect(post(signed())).rejects.toThrow();
    expect(await outcome(signed())).toBe('ok');
  });

  it('rate-limits with the ban message the client parses', async () => {
    gateway.queueFault({ kind: 'rate-limit', banSeconds: 12 });
    const { text } = await post(signed());
    expect(text).toContain('"code":7');
    expect(text).toContain('This ban will last for 12 more seconds');
  });

  it('adds the configured latency to every call', async () => {
    gateway.setLatency(50);
    const started = Date.now();
    await outcome(signed());
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('keeps no session or signature in its request log', async () => {
    await outcome(signed());
    expect(JSON.stringify(gateway.requests)).not.toContain(gateway.sessionKey);
    expect(gateway.requests[0]).toMatchObject({
      seq: 1,
      method: LIST,
      outcome: 'ok',
      servedIds: ['9007199254740994', '9007199254740993'],
    });
    gateway.clearRequests();
    expect(gateway.requests).toHaveLength(0);
  });

  it('closes promptly even with a slow call in flight', async () => {
    const own = await startSimulatedGateway();
    own.queueFault({ kind: 'delay', ms: 30_000 });
    const pending = request(own.url, { method: 'POST', dispatcher: agent, body: '' }).catch((error: unknown) => error);
    // The call must be in flight (arrived, waiting out its 30 s delay) when the close begins.
    for (let waited = 0; own.requests.length === 0 && waited < 5_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(own.requests).toHaveLength(1);
    const started = Date.now();
    await own.close();
    // Far below the 30 s the call would otherwise hold the close.
    expect(Date.now() - started).toBeLessThan(10_000);
    // Cut off mid-call, not refused: the connection had been accepted.
    expect(await pending).toMatchObject({ code: 'UND_ERR_SOCKET' });
  });

  it('replaces a lead added again with the same id and keeps newest-first order', () => {
    gateway.addLeads([
      { id: '9007199254740999', name: '**四' },
      { id: '9007199254740990', name: '*伟' },
    ]);
    expect(gateway.leads.map((lead) => lead.id)).toEqual([
      '9007199254740999',
      '9007199254740994',
      '9007199254740993',
      '9007199254740992',
      '9007199254740991',
      '9007199254740990',
    ]);
    expect(gateway.leads.at(-1)?.name).toBe('*伟');
    expect(() => gateway.addLeads([{ id: '12x' }])).toThrow(RangeError);
  });
});
