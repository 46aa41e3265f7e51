import { TopClient, type TopClientOptions, type TopRetryEvent } from '../../../../functions/shared/taobao/client';
import { TopApiError, TopError, TopResultError, TopTransportError } from '../../../../functions/shared/taobao/errors';
import { writeLeadQueryDto } from '../../../../functions/shared/taobao/json';
import {
  generateLeads,
  startSimulatedGateway,
  type GatewayFault,
  type SimulatedGateway,
} from '../../../../functions/local/simulators/alimama-gateway';

// TopClient against the simulated gateway: a real HTTP server on loopback, no mocks.

const LIST = 'taobao.mama.crm.lead.list';
const newestPage = { lead_external_query_dto: writeLeadQueryDto({ pageSize: 10 }) };

let gateway: SimulatedGateway;

beforeEach(async () => {
  gateway = await startSimulatedGateway({ leads: generateLeads(25, { startId: '1000' }) });
});
afterEach(async () => {
  await gateway.close();
});

/** A client wired to the gateway, with short backoff so retry tests stay fast. */
function client(overrides: Partial<TopClientOptions> = {}): TopClient {
  return new TopClient({
    appKey: gateway.appKey,
    appSecret: gateway.appSecret,
    sessionKey: gateway.sessionKey,
    gatewayUrl: gateway.url,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    minAttemptMs: 50,
    ...overrides,
  });
}

/** A clock whose sleeps return at once and move time forward: rate-limit waits cost nothing. */
function fakeClock() {
  let now = Date.now();
  const sleeps: number[] = [];
  return {
    sleeps,
    options: {
      now: () => now,
      sleep: (ms: number) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

const soon = () => Date.now() + 10_000;
const outcomes = () => gateway.requests.map((request) => request.outcome);

async function failure(promise: Promise<unknown>): Promise<TopError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TopError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('TopClient ↔ simulated gateway', () => {
  it.each(['md5', 'hmac', 'hmac-sha256'] as const)(
    'is accepted by a verifying gateway when signing with %s',
    async (signMethod) => {
      const result = await client({ signMethod }).call(LIST, newestPage, { deadline: soon() });
      expect(result.attempts).toBe(1);
      expect(gateway.requests).toMatchObject([{ signMethod, method: LIST, appKey: gateway.appKey, outcome: 'ok' }]);
    },
  );

  it('parses the wrapped shape', async () => {
    const { body, requestId } = await client().call(LIST, newestPage, { deadline: soon() });
    expect(requestId).toMatch(/^sim/);
    expect(body.result_ok).toBe(true);
    expect(body.result_data).toEqual({ result: expect.any(Array) as unknown });
  });

  it('parses the simplify=true shape (fields at the root, bare lists)', async () => {
    const { body, requestId } = await client({ simplify: true }).call(LIST, newestPage, { deadline: soon() });
    expect(gateway.requests[0]?.simplify).toBe(true);
    expect(requestId).toMatch(/^sim/);
    expect(Array.isArray(body.result_data)).toBe(true);
  });

  it('sends object parameters exactly as given and signed', async () => {
    const dto = '{"offset":1010,"page_size":3}';
    const { body } = await client().call(LIST, { lead_external_query_dto: dto }, { deadline: soon() });
    expect(gateway.requests[0]?.dto).toBe(dto);
    expect(body.result_data).toMatchObject({ result: [{ id: 1009 }, { id: 1008 }, { id: 1007 }] });
  });

  it('keeps ids beyond 2^53 exact both ways', async () => {
    gateway.addLeads(generateLeads(5, { startId: '123456789012345678901' }));
    const dto = writeLeadQueryDto({ offset: '123456789012345678904', pageSize: 2 });
    const { body } = await client().call(LIST, { lead_external_query_dto: dto }, { deadline: soon() });
    expect(gateway.requests[0]?.dto).toBe('{"offset":123456789012345678904,"page_size":2}');
    expect(body.result_data).toMatchObject({ result: [{ id: '123456789012345678903' }, { id: '123456789012345678902' }] });
  });

  describe('rate limit (code 7)', () => {
    it('waits the ban plus one second, then succeeds, when the deadline allows', async () => {
      const clock = fakeClock();
      gateway.queueFault({ kind: 'rate-limit', banSeconds: 3 });
      const result = await client(clock.options).call(LIST, newestPage, { deadline: clock.options.now() + 60_000 });
      expect(clock.sleeps).toEqual([4_000]);
      expect(result.attempts).toBe(2);
      expect(outcomes()).toEqual([7, 'ok']);
    });

    it('really waits out a 1-second ban on the real clock', async () => {
      gateway.queueFault({ kind: 'rate-limit', banSeconds: 1 });
      const started = Date.now();
      await client().call(LIST, newestPage, { deadline: Date.now() + 5_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_990);
      expect(outcomes()).toEqual([7, 'ok']);
    });

    it('throws at once, retryable with retryAfterMs, when the ban outlasts the deadline', async () => {
      const clock = fakeClock();
      gateway.queueFault({ kind: 'rate-limit', banSeconds: 30 });
      const error = await failure(client(clock.options).call(LIST, newestPage, { deadline: clock.options.now() + 20_000 }));
      expect(error).toBeInstanceOf(TopApiError);
      expect(error).toMatchObject({ code: 7, retryable: true, retryAfterMs: 31_000 });
      expect(error.message).toMatch(/TOP error 7 \(rate limited\)/);
      expect(clock.sleeps).toEqual([]);
      expect(outcomes()).toEqual([7]);
    });
  });

  it('retries isp.* errors and recovers', async () => {
    const retries: TopRetryEvent[] = [];
    gateway.queueFault({ kind: 'isp-error' }, { kind: 'isp-error', subCode: 'isp.remote-service-error' });
    const result = await client({ onRetry: (event) => retries.push(event) }).call(LIST, newestPage, { deadline: soon() });
    expect(result.attempts).toBe(3);
    expect(outcomes()).toEqual([15, 15, 'ok']);
    expect(retries.map((event) => event.attempt)).toEqual([1, 2]);
  });

  it('retries code 10 and recovers', async () => {
    gateway.queueFault({ kind: 'top-error', code: 10, msg: 'Service Currently Unavailable' });
    expect((await client().call(LIST, newestPage, { deadline: soon() })).attempts).toBe(2);
  });

  it('retries an HTML 502 page and recovers', async () => {
    gateway.queueFault({ kind: 'html', status: 502 });
    const result = await client().call(LIST, newestPage, { deadline: soon() });
    expect(result.attempts).toBe(2);
    expect(outcomes()).toEqual(['fault', 'ok']);
  });

  it('retries a dropped connection and recovers', async () => {
    gateway.queueFault({ kind: 'drop-connection' });
    expect((await client().call(LIST, newestPage, { deadline: soon() })).attempts).toBe(2);
  });

  it('retries result_ok: false, then surfaces it without a retry storm', async () => {
    gateway.setFault({ kind: 'result-not-ok', resultErrorCode: 'SYSTEM_BUSY', errorMsg: '系统繁忙' });
    const error = await failure(client({ maxAttempts: 3 }).call(LIST, newestPage, { deadline: soon() }));
    expect(error).toBeInstanceOf(TopResultError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('result_error_code SYSTEM_BUSY: 系统繁忙');
    expect(gateway.requests).toHaveLength(3);
  });

  it('times out a slow answer at the deadline and does not retry past it', async () => {
    gateway.queueFault({ kind: 'delay', ms: 2_000 });
    const started = Date.now();
    const error = await failure(client().call(LIST, newestPage, { deadline: Date.now() + 300 }));
    expect(error).toBeInstanceOf(TopTransportError);
    expect(error.message).toMatch(/timed out after \d+ ms/);
    expect(Date.now() - started).toBeLessThan(1_900); // did not wait for the 2 s answer
    expect(gateway.requests).toHaveLength(1);
  });

  it('retries a slow answer cut by the per-request timeout', async () => {
    gateway.queueFault({ kind: 'delay', ms: 2_000 });
    const result = await client({ requestTimeoutMs: 200 }).call(LIST, newestPage, { deadline: soon() });
    expect(result.attempts).toBe(2);
  });

  it('sends nothing once the deadline has passed', async () => {
    const error = await failure(client().call(LIST, newestPage, { deadline: Date.now() - 1 }));
    expect(error).toBeInstanceOf(TopTransportError);
    expect(gateway.requests).toHaveLength(0);
  });

  describe('permanent failures: one request, an error naming the code', () => {
    const cases: [string, number, Partial<TopClientOptions>, GatewayFault | 'expire-session' | undefined, RegExp][] = [
      [
        'a wrong secret',
        25,
        { appSecret: 'not-the-secret' },
        undefined,
        /TOP error 25 \(invalid signature\): check TopAppSecret/,
      ],
      ['an unknown app key', 29, { appKey: '87654321' }, undefined, /TOP error 29 \(invalid app key\)/],
      ['a missing session', 26, { sessionKey: '' }, undefined, /TOP error 26 \(session missing\)/],
      [
        'an expired session',
        27,
        {},
        'expire-session',
        /TOP error 27 \(session expired\): the merchant must re-authorize the app and you must update TopSessionKey/,
      ],
      ['a session-expired answer', 27, {}, { kind: 'session-expired' }, /TOP error 27/],
      ['a clock 11 minutes slow', 31, { now: () => Date.now() - 11 * 60_000 }, undefined, /TOP error 31 \(invalid timestamp\)/],
      ['a clock 11 minutes fast', 31, { now: () => Date.now() + 11 * 60_000 }, undefined, /TOP error 31/],
      [
        'an isv.* error',
        15,
        {},
        { kind: 'top-error', code: 15, msg: 'Remote service error', subCode: 'isv.invalid-parameter', subMsg: '非法参数' },
        /TOP error 15 \(request refused as invalid: isv\.invalid-parameter\)/,
      ],
      [
        'missing permissions',
        11,
        {},
        { kind: 'top-error', code: 11, msg: 'Insufficient isv permissions' },
        /TOP error 11 .*IP whitelist/,
      ],
    ];

    it.each(cases)('%s → code %d', async (_label, code, options, fault, message) => {
      if (fault === 'expire-session') gateway.setSessionExpired(true);
      else if (fault !== undefined) gateway.setFault(fault);
      // A skewed clock also skews the deadline; give it room on that clock.
      const deadline = (options.now ?? Date.now)() + 10_000;
      const error = await failure(client(options).call(LIST, newestPage, { deadline }));
      expect(error).toBeInstanceOf(TopApiError);
      expect(error).toMatchObject({ code, retryable: false });
      expect(error.message).toMatch(message);
      expect(gateway.requests).toHaveLength(1);
      expect(gateway.requests[0]?.outcome).toBe(code);
    });
  });

  it('accepts a clock that is 9 minutes off (the gateway allows 10)', async () => {
    const result = await client({ now: () => Date.now() - 9 * 60_000 }).call(LIST, newestPage, { deadline: Date.now() });
    expect(result.attempts).toBe(1);
  });

  it('does not follow a wrong gateway URL: a 404 fails once', async () => {
    const error = await failure(
      client({ gatewayUrl: gateway.url.replace('/router/rest', '/wrong') }).call(LIST, newestPage, { deadline: soon() }),
    );
    expect(error).toMatchObject({ status: 404, retryable: false });
    expect(gateway.requests).toHaveLength(1);
  });

  it('never puts the secret or the session in errors or retry events', async () => {
    const secret = 'S3CRET-value-xyz';
    const session = 'SESSION-value-abc';
    const own = await startSimulatedGateway({ appSecret: secret, sessionKey: session });
    try {
      const seen: string[] = [];
      own.queueFault({ kind: 'isp-error' }, { kind: 'html' }, { kind: 'result-not-ok' }, { kind: 'session-expired' });
      const spy = client({
        gatewayUrl: own.url,
        appSecret: secret,
        sessionKey: session,
        maxAttempts: 5,
        onRetry: (event) => seen.push(event.error.message, JSON.stringify(event)),
      });
      const error = await failure(spy.call(LIST, newestPage, { deadline: soon() }));
      seen.push(error.message, JSON.stringify(error), String(error.stack));
      expect(error.message).toMatch(/TOP error 27/);
      expect(own.requests.map((request) => request.outcome)).toEqual([15, 'fault', 'fault', 27]);
      for (const text of seen) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(session);
      }
    } finally {
      await own.close();
    }
  });

  it('refuses API parameters that would shadow system parameters', async () => {
    await expect(client().call(LIST, { session: 'other' }, { deadline: soon() })).rejects.toThrow(TypeError);
    expect(gateway.requests).toHaveLength(0);
  });
});
