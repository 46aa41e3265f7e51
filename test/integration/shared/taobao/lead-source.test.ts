import { TopClient } from '../../../../functions/shared/taobao/client';
import { TopApiError, TopProtocolError, TopResultError, TopTransportError } from '../../../../functions/shared/taobao/errors';
import { LeadSourceRateLimitedError, LeadSourceTransientError, type LeadPage } from '../../../../functions/poller/ports';
import { TopLeadSource } from '../../../../functions/shared/taobao/lead-source';
import {
  generateLeads,
  startSimulatedGateway,
  type SimulatedGateway,
  type SimulatedGatewayOptions,
} from '../../../../functions/local/simulators/alimama-gateway';

// TopLeadSource → TopClient → simulated gateway over loopback.

const gateways: SimulatedGateway[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function setup(options: SimulatedGatewayOptions = {}, clientOptions: { simplify?: boolean; maxAttempts?: number } = {}) {
  const gateway = await startSimulatedGateway({ leads: generateLeads(25, { startId: '1000' }), ...options });
  gateways.push(gateway);
  const client = new TopClient({
    appKey: gateway.appKey,
    appSecret: gateway.appSecret,
    sessionKey: gateway.sessionKey,
    gatewayUrl: gateway.url,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    minAttemptMs: 50,
    ...clientOptions,
  });
  return { gateway, source: new TopLeadSource(client) };
}

const deadline = () => Date.now() + 10_000;
const ids = (page: LeadPage) => page.leads.map((lead) => lead.id);
const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => String(from - i));

describe('TopLeadSource', () => {
  it('pages newest-first with an exclusive offset', async () => {
    const { source, gateway } = await setup();
    const first = await source.fetchPage({ pageSize: 10, deadline: deadline() });
    expect(ids(first)).toEqual(range(1024, 1015));
    expect(first.rawCount).toBe(10);
    const second = await source.fetchPage({ offset: '1015', pageSize: 10, deadline: deadline() });
    expect(ids(second)).toEqual(range(1014, 1005));
    const last = await source.fetchPage({ offset: '1005', pageSize: 10, deadline: deadline() });
    expect(ids(last)).toEqual(range(1004, 1000));
    expect(last.rawCount).toBe(5); // short: the scan ends here
    const beyond = await source.fetchPage({ offset: '1000', pageSize: 10, deadline: deadline() });
    expect(beyond).toMatchObject({ rawCount: 0, leads: [], rejected: [] });
    expect(gateway.requests.map((request) => request.dto)).toEqual([
      '{"page_size":10}',
      '{"offset":1015,"page_size":10}',
      '{"offset":1005,"page_size":10}',
      '{"offset":1000,"page_size":10}',
    ]);
  });

  it('pages newest-first with an inclusive offset (the offset lead comes back)', async () => {
    const { source } = await setup({ offsetMode: 'inclusive' });
    const second = await source.fetchPage({ offset: '1015', pageSize: 10, deadline: deadline() });
    expect(ids(second)).toEqual(range(1015, 1006));
  });

  it.each([
    ['wrapped lists', {}, {}],
    ['bare lists', { listShape: 'bare' as const }, {}],
    ['simplify=true', {}, { simplify: true }],
    ['simplify=true with wrapped lists', { listShape: 'wrapped' as const }, { simplify: true }],
  ])('reads %s to the same normalized leads', async (_label, gatewayOptions, clientOptions) => {
    const { source } = await setup(gatewayOptions, clientOptions);
    const page = await source.fetchPage({ offset: '1003', pageSize: 2, deadline: deadline() });
    const expected = generateLeads(25, { startId: '1000' })[2]!;
    expect(ids(page)).toEqual(['1002', '1001']);
    expect(page.requestId).toMatch(/^sim/);
    expect(page.leads[0]).toEqual({
      id: '1002',
      seller_user_id: '999999999',
      seller_nick: 'XX****旗舰店',
      store_name: '测试店铺名',
      page_id: expected.page_id,
      page_name: expected.page_name,
      name: expected.name,
      mobile: expected.mobile,
      mobile_encrypted: true,
      location: expected.location,
      location_code: expected.location_code,
      lead_time: `${expected.lead_time!.replace(' ', 'T')}+08:00`,
      gmt_create: new Date(expected.gmt_create!).toISOString(),
      gmt_modified: new Date(expected.gmt_modified!).toISOString(),
      mm_src_cname: expected.mm_src_cname,
      extend_list: expected.extend_list,
    });
  });

  it('carries ids beyond 2^53 with every digit', async () => {
    const { source, gateway } = await setup({ leads: generateLeads(6, { startId: '9007199254740990' }) });
    const page = await source.fetchPage({ offset: '9007199254740995', pageSize: 3, deadline: deadline() });
    expect(ids(page)).toEqual(['9007199254740994', '9007199254740993', '9007199254740992']);
    expect(gateway.requests[0]?.dto).toBe('{"offset":9007199254740995,"page_size":3}');
  });

  it('rejects records without an id but counts them, and keeps the API order', async () => {
    const { source, gateway } = await setup();
    gateway.queueFault({
      kind: 'raw-body',
      body: '{"mama_crm_lead_list_response":{"result_data":{"result":[{"id":30},{"name":"**三"},{"id":31,"lead_time":"soon"},{"id":"x"}]},"result_ok":true,"request_id":"r9"}}',
    });
    const page = await source.fetchPage({ pageSize: 4, deadline: deadline() });
    expect(page.rawCount).toBe(4);
    expect(ids(page)).toEqual(['30', '31']); // not re-sorted: order checks are the poller's job
    expect(page.rejected).toHaveLength(2);
    expect(page.rejected[0]?.problem).toMatch(/no usable id/);
    expect(page.rejected.map((r) => r.below)).toEqual(['30', '31']); // placed below the readable lead above each
    expect(page.warnings).toEqual([{ leadId: '31', problem: 'lead_time is not a time; left out' }]);
    expect(page.requestId).toBe('r9');
  });

  it.each([
    ['no leads at all (wrapped: result_data left out)', {}],
    ['no leads at all (bare: [])', { listShape: 'bare' as const }],
  ])('returns an empty page for %s', async (_label, options) => {
    const { source } = await setup({ leads: [], ...options });
    expect(await source.fetchPage({ pageSize: 10, deadline: deadline() })).toEqual({
      rawCount: 0,
      leads: [],
      rejected: [],
      requestId: expect.any(String) as unknown,
    });
  });

  it.each([
    '{"mama_crm_lead_list_response":{"result_ok":true}}',
    '{"mama_crm_lead_list_response":{"result_data":null}}',
    '{"mama_crm_lead_list_response":{"result_data":{}}}',
  ])('reads %s as an empty page', async (body) => {
    const { source, gateway } = await setup();
    gateway.queueFault({ kind: 'raw-body', body });
    expect(await source.fetchPage({ pageSize: 10, deadline: deadline() })).toMatchObject({ rawCount: 0, leads: [] });
  });

  it('refuses a reply that says neither result_ok nor result_data, rather than reading it as the empty page that ends a scan', async () => {
    const { source, gateway } = await setup();
    gateway.queueFault({ kind: 'raw-body', body: '{"mama_crm_lead_list_response":{"request_id":"r1"}}' });
    await expect(source.fetchPage({ pageSize: 10, deadline: deadline() })).rejects.toThrow(/neither result_ok nor result_data/);
  });

  it("never quotes a page of leads cut short in its error (it is logged); a proxy's HTML page is quoted", async () => {
    const { source, gateway } = await setup({}, { maxAttempts: 1 });
    gateway.queueFault({
      kind: 'raw-body',
      body: '{"mama_crm_lead_list_response":{"result_data":{"result":[{"name":"张三","mobile":"13812345678","id":1',
    });
    const cut = await source.fetchPage({ pageSize: 10, deadline: deadline() }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(cut).toBeInstanceOf(Error);
    expect((cut as Error).message).toMatch(/bytes of JSON-like text, not quoted/);
    expect((cut as Error).message).not.toMatch(/张三|13812345678/);
    gateway.queueFault({ kind: 'raw-body', body: '<html><body>502 Bad Gateway</body></html>' });
    await expect(source.fetchPage({ pageSize: 10, deadline: deadline() })).rejects.toThrow(/502 Bad Gateway/);
  });

  it('refuses a result_data that is not a list rather than reading it as empty', async () => {
    const { source, gateway } = await setup();
    gateway.queueFault({ kind: 'raw-body', body: '{"mama_crm_lead_list_response":{"result_data":"oops","result_ok":true}}' });
    await expect(source.fetchPage({ pageSize: 10, deadline: deadline() })).rejects.toThrow(TopProtocolError);
  });

  it('treats result_ok: false as a retryable failure naming the code, after retrying it', async () => {
    const { source, gateway } = await setup({}, { maxAttempts: 2 });
    gateway.setFault({ kind: 'result-not-ok', resultErrorCode: 'SYSTEM_BUSY', errorMsg: '系统繁忙' });
    const error: unknown = await source.fetchPage({ pageSize: 10, deadline: deadline() }).catch((e: unknown) => e);
    // In the port's words (transient), with the client's error as the cause.
    expect(error).toBeInstanceOf(LeadSourceTransientError);
    const cause = (error as LeadSourceTransientError).cause;
    expect(cause).toBeInstanceOf(TopResultError);
    expect(cause).toMatchObject({ retryable: true, resultErrorCode: 'SYSTEM_BUSY' });
    expect(String(error)).toMatch(/SYSTEM_BUSY: 系统繁忙/);
    expect(gateway.requests).toHaveLength(2);
  });

  it('says "rate limited" in the port\'s own error when a ban outlasts the deadline, the TOP error as its cause', async () => {
    const { source, gateway } = await setup();
    gateway.setFault({ kind: 'rate-limit', banSeconds: 3_600 });
    const error: unknown = await source.fetchPage({ pageSize: 10, deadline: deadline() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeadSourceRateLimitedError);
    expect((error as Error).message).toMatch(/TOP error 7 \(rate limited\).*ban of 3600 s/);
    expect((error as LeadSourceRateLimitedError).cause).toMatchObject({ name: 'TopApiError', code: 7, retryAfterMs: 3_601_000 });
    expect(gateway.requests).toHaveLength(1);
  });

  it('a code 7 that does not say how long is a rate limit too, waited out as a minute', async () => {
    const { source, gateway } = await setup();
    gateway.setFault({
      kind: 'raw-body',
      body: '{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","request_id":"r7"}}',
    });
    const error: unknown = await source.fetchPage({ pageSize: 10, deadline: Date.now() + 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeadSourceRateLimitedError);
    expect((error as Error).message).toMatch(/TOP error 7 \(rate limited\).*waiting 60 s/);
    expect(gateway.requests).toHaveLength(1);
  });

  it("a gateway failure that outlasts the client's retries is transient; a refused session is not, and stays the TOP error it is", async () => {
    const { source, gateway } = await setup({}, { maxAttempts: 2 });
    gateway.setFault({ kind: 'html', status: 502 });
    const failing: unknown = await source.fetchPage({ pageSize: 10, deadline: deadline() }).catch((e: unknown) => e);
    expect(failing).toBeInstanceOf(LeadSourceTransientError);
    expect((failing as LeadSourceTransientError).cause).toBeInstanceOf(TopTransportError);
    gateway.setFault({ kind: 'session-expired' });
    const refused: unknown = await source.fetchPage({ pageSize: 10, deadline: deadline() }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TopApiError);
    expect(refused).toMatchObject({ code: 27, retryable: false });
  });

  it('recovers when result_ok: false is transient', async () => {
    const { source, gateway } = await setup();
    gateway.queueFault({ kind: 'result-not-ok' });
    expect(ids(await source.fetchPage({ pageSize: 3, deadline: deadline() }))).toEqual(range(1024, 1022));
    expect(gateway.requests).toHaveLength(2);
  });

  it('passes a contract-violating page through as served (ascending ids)', async () => {
    const { source, gateway } = await setup();
    gateway.queueFault({ kind: 'ascending-page' });
    expect(ids(await source.fetchPage({ offset: '1010', pageSize: 3, deadline: deadline() }))).toEqual(['1007', '1008', '1009']);
  });

  it('passes a contract-violating page through as served (ids above the offset)', async () => {
    const { source, gateway } = await setup();
    gateway.queueFault({ kind: 'ids-above-offset' });
    expect(ids(await source.fetchPage({ offset: '1010', pageSize: 3, deadline: deadline() }))).toEqual(range(1024, 1022));
  });
});
