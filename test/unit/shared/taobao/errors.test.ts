import { LeadForwarderError } from '../../../../functions/shared/domain/errors';
import {
  TopApiError,
  TopError,
  TopProtocolError,
  TopResultError,
  TopTransportError,
  classifyTopFailure,
  isAuthorizationFailure,
  refusesSecrets,
  type TopFailure,
} from '../../../../functions/shared/taobao/errors';

const api = (code: number | undefined, subCode?: string, subMsg?: string): TopFailure => ({
  kind: 'api-error',
  code,
  subCode,
  subMsg,
  msg: 'platform message',
});

describe('classifyTopFailure (DESIGN §1 retry table)', () => {
  it.each<[string, TopFailure]>([
    ['a network error', { kind: 'network', detail: 'ECONNRESET' }],
    ['HTTP 500', { kind: 'http-status', status: 500 }],
    ['HTTP 502', { kind: 'http-status', status: 502 }],
    ['HTTP 503', { kind: 'http-status', status: 503 }],
    ['HTTP 429', { kind: 'http-status', status: 429 }],
    ['a 200 HTML page', { kind: 'not-json', status: 200, snippet: '<html>' }],
    ['code 10', api(10)],
    ['code 7 (rate limit)', api(7, 'accesscontrol.limited-by-app-access-count', 'This ban will last for 3 more seconds')],
    ['an isp.* sub-code', api(15, 'isp.top-remote-connection-timeout')],
    ['result_ok: false', { kind: 'result-not-ok', resultErrorCode: 'SYSTEM_BUSY', errorMsg: '系统繁忙' }],
  ])('retries %s', (_label, failure) => {
    expect(classifyTopFailure(failure).retryable).toBe(true);
  });

  it.each<[string, TopFailure, RegExp]>([
    [
      'code 11',
      api(11),
      /TOP error 11 .*Lambda has no fixed outbound IP, so switch off the app's IP whitelist \(run locally, adding this machine's public IP to it also works\)/,
    ],
    ['code 25', api(25), /TOP error 25 \(invalid signature\): check TopAppSecret and TopSignMethod/],
    ['code 26', api(26), /TOP error 26 \(session missing\).*TopSessionKey/],
    [
      'code 27',
      api(27),
      /TOP error 27 \(session expired\): the merchant must re-authorize the app and you must update TopSessionKey/,
    ],
    ['code 29', api(29), /TOP error 29 \(invalid app key\): check TopAppKey/],
    ['code 31', api(31), /TOP error 31 \(invalid timestamp\).*clock/],
    ['code 40', api(40), /TOP error 40 \(missing required arguments\)/],
    ['code 41', api(41), /TOP error 41 \(invalid arguments\): check PageSize \(1-100\)/],
    [
      'an isv.* sub-code',
      api(15, 'isv.invalid-parameter', '非法参数'),
      /TOP error 15 \(request refused as invalid: isv\.invalid-parameter\)/,
    ],
    ['isv.* even under code 10', api(10, 'isv.missing-parameter'), /TOP error 10 .*isv\.missing-parameter/],
    ['an unknown code', api(999), /TOP error 999 \(not a known transient error\)/],
    ['HTTP 404', { kind: 'http-status', status: 404 }, /HTTP 404; check TopGatewayUrl/],
    [
      'a redirect',
      { kind: 'http-status', status: 302, location: 'https://login.example/' },
      /302 \(redirect to https:\/\/login\.example\/\); redirects are not followed/,
    ],
    ['an unexpected JSON body', { kind: 'unexpected-body', detail: 'no "x_response"' }, /unexpected shape/],
  ])('never retries %s, and says what to do', (_label, failure, message) => {
    const verdict = classifyTopFailure(failure);
    expect(verdict.retryable).toBe(false);
    expect(verdict.summary).toMatch(message);
  });

  it('waits the ban plus one second on code 7', () => {
    expect(
      classifyTopFailure(api(7, 'accesscontrol.limited-by-api-access-count', 'This ban will last for 42 more seconds'))
        .retryAfterMs,
    ).toBe(43_000);
    expect(classifyTopFailure({ kind: 'api-error', code: 7, msg: 'This ban will last for 1 more second' }).retryAfterMs).toBe(
      2_000,
    );
  });

  it('waits a minute when code 7 does not say how long (a quick retry would only meet the ban again)', () => {
    const verdict = classifyTopFailure(api(7, 'accesscontrol.limited-by-app-access-count', 'App Call Limited'));
    expect(verdict).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
    expect(verdict.summary).toContain('its length not stated; waiting 60 s');
  });

  it('repeats what the platform said so the operator sees it', () => {
    expect(classifyTopFailure(api(27, 'invalid-sessionkey', 'SessionKey非法')).summary).toContain(
      '[platform: platform message; invalid-sessionkey: SessionKey非法]',
    );
  });
});

describe('TOP error classes', () => {
  it('TopApiError carries the fields, the verdict and the request id', () => {
    const error = new TopApiError('taobao.mama.crm.lead.list', {
      code: 7,
      msg: 'App Call Limited',
      subMsg: 'This ban will last for 5 more seconds',
      requestId: 'r1',
    });
    expect(error).toBeInstanceOf(TopError);
    expect(error).toBeInstanceOf(LeadForwarderError);
    expect(error).toMatchObject({
      name: 'TopApiError',
      code: 7,
      requestId: 'r1',
      retryable: true,
      retryAfterMs: 6_000,
      method: 'taobao.mama.crm.lead.list',
    });
    expect(error.message).toMatch(/^taobao\.mama\.crm\.lead\.list: TOP error 7 \(rate limited\).*\(request_id r1\)$/);
  });

  it('TopTransportError keeps the status and is retryable for 5xx', () => {
    const error = new TopTransportError('m', { kind: 'http-status', status: 502 });
    expect(error).toMatchObject({ name: 'TopTransportError', status: 502, retryable: true });
    expect(new TopTransportError('m', { kind: 'network', detail: 'ECONNREFUSED' }).status).toBeUndefined();
  });

  it('TopResultError is retryable and names result_error_code and error_msg', () => {
    const error = new TopResultError('m', { resultErrorCode: 'SYSTEM_BUSY', errorMsg: '系统繁忙' });
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('result_error_code SYSTEM_BUSY: 系统繁忙');
  });

  it('TopProtocolError is not retryable', () => {
    expect(new TopProtocolError('m', 'odd').retryable).toBe(false);
  });

  it('refusesSecrets is true for 25 (app secret), 26 and 27 (session) only: the poller then re-reads its secrets', () => {
    for (const code of [25, 26, 27]) expect(refusesSecrets(new TopApiError('m', { code }))).toBe(true);
    for (const code of [7, 11, 29, 41]) expect(refusesSecrets(new TopApiError('m', { code }))).toBe(false);
    expect(refusesSecrets(new Error('25'))).toBe(false);
  });

  it('isAuthorizationFailure is true for 11, 26 and 27 only', () => {
    for (const code of [11, 26, 27]) expect(isAuthorizationFailure(new TopApiError('m', { code }))).toBe(true);
    for (const code of [7, 10, 25, 29, 31]) expect(isAuthorizationFailure(new TopApiError('m', { code }))).toBe(false);
    expect(isAuthorizationFailure(new TopTransportError('m', { kind: 'http-status', status: 401 }))).toBe(false);
    expect(isAuthorizationFailure(new Error('27'))).toBe(false);
  });
});
