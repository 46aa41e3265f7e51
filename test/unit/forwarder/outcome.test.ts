import {
  BACKOFF_BASE_SECONDS,
  BACKOFF_CAP_SECONDS,
  MAX_VISIBILITY_SECONDS,
  backoffSeconds,
  classify,
  parseRetryAfter,
} from '../../../functions/forwarder/outcome';
import type { SendResult } from '../../../functions/shared/webhook/sender';

const NOW = new Date('2026-11-29T06:00:00Z');
const response = (status: number, body = '', retryAfter?: string): SendResult =>
  retryAfter === undefined
    ? { kind: 'response', status, body, latencyMs: 5 }
    : { kind: 'response', status, body, retryAfter, latencyMs: 5 };

describe('classify (DESIGN §3)', () => {
  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [410, 'gone'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [301, 'rejected'],
    [302, 'rejected'],
    [307, 'rejected'],
    [400, 'rejected'],
    [401, 'rejected'],
    [404, 'rejected'],
    [409, 'rejected'],
    [422, 'rejected'],
  ] as const)('standard: HTTP %i → %s', (status, outcome) => {
    expect(classify(response(status), 'standard', { endpoint: 'crm', now: NOW }).outcome).toBe(outcome);
  });

  it('explains a rejection with the endpoint name; the start of the body is kept apart from the reason', () => {
    const body = `{"error":"invalid","detail":"${'x'.repeat(400)}"}`;
    expect(classify(response(400, body), 'standard', { endpoint: 'crm', now: NOW })).toEqual({
      outcome: 'rejected',
      reason: 'HTTP 400 from crm',
      response: `${body.slice(0, 200)}…`,
      status: 400,
      latencyMs: 5,
    });
  });

  it.each([
    [422, 'standard'],
    [503, 'standard'],
    [410, 'standard'],
    [200, 'wecom'],
    [400, 'feishu'],
  ] as const)('a body that echoes the lead (HTTP %i, %s) never reaches the reason, which is logged', (status, format) => {
    const body = '{"error":"duplicate","name":"张三","mobile":"+86 138-0013-8000","phone":"13800138000"}';
    const { reason, response: answer } = classify(response(status, body), format, { endpoint: 'crm', now: NOW });
    expect(reason).not.toMatch(/张三|138|duplicate/);
    expect(answer).toContain('张三'); // kept for the DLQ, which holds the lead anyway
  });

  it.each([
    ['feishu', '{"code":9499,"msg":"invalid mobile 13800138000 for 张三"}'],
    ['wecom', '{"errcode":40058,"errmsg":"content of 张三 13800138000 invalid"}'],
    ['dingtalk', '{"errcode":130101,"errmsg":"send too fast for 张三 13800138000"}'],
  ] as const)(
    'a robot (%s) whose message quotes the lead: code in the reason, message only in the kept answer',
    (format, body) => {
      const { outcome, reason, response: answer } = classify(response(200, body), format, { endpoint: 'bot', now: NOW });
      expect(outcome).not.toBe('delivered');
      expect(reason).toMatch(/error \d+/);
      expect(reason).not.toMatch(/张三|138/);
      expect(answer).toContain('张三');
    },
  );

  it('masks a mainland mobile number a receiver echoes in the kept answer', () => {
    const { response: answer } = classify(response(422, '{"mobile":"13800138000 is a duplicate"}'), 'standard', {
      endpoint: 'crm',
    });
    expect(answer).not.toContain('13800138000');
    expect(answer).toContain('1**********');
  });

  it('retries timeouts and connection errors', () => {
    expect(
      classify(
        { kind: 'network', reason: 'timeout', message: 'no complete response within 100 ms', latencyMs: 100 },
        'standard',
        { endpoint: 'crm' },
      ),
    ).toEqual({
      outcome: 'retry',
      reason: 'timeout from crm: no complete response within 100 ms',
      reasonClass: 'network',
      latencyMs: 100,
    });
    expect(
      classify({ kind: 'network', reason: 'connection', message: 'UND_ERR_SOCKET: other side closed', latencyMs: 1 }, 'wecom')
        .outcome,
    ).toBe('retry');
  });

  it('honours Retry-After on 429 and 503, in seconds or as an HTTP date', () => {
    expect(classify(response(429, '', '120'), 'standard', { now: NOW })).toMatchObject({
      outcome: 'retry',
      retryAfterSeconds: 120,
    });
    expect(classify(response(503, '', 'Sun, 29 Nov 2026 06:05:00 GMT'), 'standard', { now: NOW })).toMatchObject({
      outcome: 'retry',
      retryAfterSeconds: 300,
    });
    expect(classify(response(500), 'standard', { now: NOW })).not.toHaveProperty('retryAfterSeconds');
  });

  it('lets a chat robot body overrule a 200', () => {
    expect(classify(response(200, '{"errcode":0,"errmsg":"ok"}'), 'wecom', { endpoint: 'sales' }).outcome).toBe('delivered');
    expect(classify(response(200, '{"errcode":310000,"errmsg":"sign not match"}'), 'dingtalk', { endpoint: 'sales' })).toEqual({
      outcome: 'rejected',
      reason: '钉钉 error 310000 (HTTP 200 from sales)',
      response: '{"errcode":310000,"errmsg":"sign not match"}',
      status: 200,
      latencyMs: 5,
    });
    expect(classify(response(200, '{"errcode":130101,"errmsg":"send too fast"}'), 'dingtalk')).toMatchObject({
      outcome: 'retry',
      retryAfterSeconds: 600,
    });
    expect(classify(response(200, '{"code":11232,"msg":"limited"}', '30'), 'feishu', { now: NOW })).toMatchObject({
      outcome: 'retry',
      retryAfterSeconds: 30,
    });
    expect(classify(response(200, '{"code":19024,"msg":"Key Words Not Found"}'), 'feishu').outcome).toBe('rejected');
  });

  it('applies the HTTP rules to a chat robot when its body has no opinion', () => {
    expect(classify(response(410), 'wecom').outcome).toBe('gone');
    expect(classify(response(502, 'Bad Gateway'), 'feishu').outcome).toBe('retry');
    expect(classify(response(404, 'not found'), 'wecom').outcome).toBe('rejected');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['120', 120],
    [' 7 ', 7],
    ['99999999', MAX_VISIBILITY_SECONDS],
    ['Sun, 29 Nov 2026 06:01:00 GMT', 60],
    ['Sun, 29 Nov 2026 06:00:00 GMT', 0],
    ['Sun, 29 Nov 2026 05:00:00 GMT', 0],
    ['Sunday, 29-Nov-26 06:00:30 GMT', 30],
    ['Tue, 29 Dec 2026 06:00:00 GMT', MAX_VISIBILITY_SECONDS],
  ])('%j → %i', (header, seconds) => {
    expect(parseRetryAfter(header, NOW)).toBe(seconds);
  });

  it.each([undefined, '', '-5', '1.5', 'soon', '10 s'])('%j → undefined', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});

describe('backoffSeconds', () => {
  /** The largest draw a [0, 1) random source can give, near enough. */
  const ALMOST_ONE = 0.9999999;

  it('grows exponentially up to the cap, with full jitter', () => {
    expect(backoffSeconds(1, undefined, () => ALMOST_ONE)).toBe(BACKOFF_BASE_SECONDS);
    expect(backoffSeconds(2, undefined, () => ALMOST_ONE)).toBe(2 * BACKOFF_BASE_SECONDS);
    expect(backoffSeconds(4, undefined, () => ALMOST_ONE)).toBe(8 * BACKOFF_BASE_SECONDS);
    expect(backoffSeconds(30, undefined, () => ALMOST_ONE)).toBe(BACKOFF_CAP_SECONDS);
    expect(backoffSeconds(10_000, undefined, () => ALMOST_ONE)).toBe(BACKOFF_CAP_SECONDS);
    expect(backoffSeconds(4, undefined, () => 0.5)).toBe(4 * BACKOFF_BASE_SECONDS);
  });

  it('never waits less than one second, even when the jitter draws zero', () => {
    expect(backoffSeconds(1, undefined, () => 0)).toBe(1);
    expect(backoffSeconds(0, undefined, () => 0)).toBe(1);
  });

  it('never goes below Retry-After and never beyond the SQS visibility maximum', () => {
    expect(backoffSeconds(1, 300, () => 0.1)).toBe(300);
    expect(backoffSeconds(20, 5, () => ALMOST_ONE)).toBe(BACKOFF_CAP_SECONDS);
    expect(backoffSeconds(1, 100_000, () => 0.5)).toBe(MAX_VISIBILITY_SECONDS);
  });

  it('spreads retries of the same attempt across the window', () => {
    const draws = [0.05, 0.3, 0.6, 0.95].map((r) => backoffSeconds(5, undefined, () => r));
    expect(new Set(draws).size).toBe(4);
    for (const wait of draws) expect(wait).toBeLessThanOrEqual(16 * BACKOFF_BASE_SECONDS);
  });
});
