import { readUpsertAnswer } from '../../../../../functions/shared/webhook/connectors/hubspot/answer';
import {
  defaultHubSpotProperties,
  toHubSpotProperties,
} from '../../../../../functions/shared/webhook/connectors/hubspot/mapping';
import type { StandardPayload } from '../../../../../functions/shared/webhook/standard-payload';

const payload = (data: Partial<StandardPayload['data']> = {}, test = false): StandardPayload => ({
  type: 'lead.created',
  ...(test ? { test: true as const } : {}),
  timestamp: '2026-11-29T06:00:00.000Z',
  data: {
    id: '221985',
    name: '**三',
    mobile: '13800138000',
    mobile_encrypted: false,
    location: 'xx省xx市xx县',
    page_id: '5314456',
    page_name: '新半价2',
    store_name: '测试店铺名',
    lead_time: '2022-05-03T17:44:28+08:00',
    mm_src_cname: '淘积木其他',
    extend_list: [{ code: 'sex', label: '性别', value: '男' }],
    ...data,
  },
});

describe('the default HubSpot mapping', () => {
  it('fills default contact properties with text values, the mobile in mobilephone', () => {
    expect(defaultHubSpotProperties(payload())).toEqual({
      firstname: '**三',
      mobilephone: '13800138000',
      address: 'xx省xx市xx县',
      message:
        'Alimama lead 221985 · 淘积木其他\nPage: 新半价2 (5314456)\nStore: 测试店铺名\nSubmitted: 2022-05-03T17:44:28+08:00\n性别: 男',
    });
  });

  it('leaves the phone field out while the mobile is still a ciphertext', () => {
    const properties = defaultHubSpotProperties(payload({ mobile: 'Pci/6KXf+q0aBc==', mobile_encrypted: true }));
    expect(properties).not.toHaveProperty('mobilephone');
    expect(JSON.stringify(properties)).not.toContain('Pci/6KXf');
  });

  it('leaves absent fields out, marks a test lead, and never exceeds the text limit', () => {
    const bare = defaultHubSpotProperties({
      type: 'lead.created',
      timestamp: 't',
      test: true,
      data: { id: '7', name: 'x'.repeat(70_000) },
    });
    expect(bare).toEqual({ firstname: 'x'.repeat(65_536), message: '[test] Alimama lead 7' });
  });
});

describe('a fields expression result as HubSpot properties', () => {
  it('keeps strings, writes numbers, booleans and objects as text, drops null', () => {
    expect(toHubSpotProperties({ a: 'x', b: 2, c: true, d: null, e: { k: 1 }, f: [1] })).toEqual({
      a: 'x',
      b: '2',
      c: 'true',
      e: '{"k":1}',
      f: '[1]',
    });
  });
  it.each([[null], ['text'], [[1, 2]], [3]])('is undefined for %j (not an object)', (value) => {
    expect(toHubSpotProperties(value)).toBeUndefined();
  });
});

describe("reading HubSpot's answer to an upsert", () => {
  const created = JSON.stringify({ status: 'COMPLETE', results: [{ id: '1001', new: true, properties: {} }] });
  const error = (category: string, message: string, code?: string): string =>
    JSON.stringify({
      status: 'error',
      message,
      correlationId: 'c',
      category,
      ...(code === undefined ? {} : { errors: [{ message, code }] }),
    });

  it('a 200 with a result is delivered with the record id', () => {
    expect(readUpsertAnswer(200, created)).toEqual({ outcome: 'delivered', recordId: '1001', created: true });
    expect(readUpsertAnswer(200, JSON.stringify({ results: [{ id: '1001', new: false }] }))).toMatchObject({ created: false });
  });

  it.each([
    [200, '{"status":"COMPLETE","results":[]}'],
    [200, '<html>ok</html>'],
  ])('a %i that names no record is retried, never taken for delivered (%s)', (status, body) => {
    expect(readUpsertAnswer(status, body)).toMatchObject({ outcome: 'retry', reasonClass: 'vendor-error' });
  });

  it('a 207 without our record is rejected with the error it names', () => {
    const body = JSON.stringify({
      status: 'COMPLETE',
      results: [],
      numErrors: 1,
      errors: [
        { status: 'error', category: 'VALIDATION_ERROR', message: 'bad', errors: [{ code: 'INVALID_OPTION', message: 'bad' }] },
      ],
    });
    expect(readUpsertAnswer(207, body)).toEqual({
      outcome: 'rejected',
      reasonClass: 'rejected-field',
      code: 'INVALID_OPTION',
      reason: 'HubSpot 207: INVALID_OPTION bad',
    });
  });

  it.each([
    [401, error('INVALID_AUTHENTICATION', 'Authentication credentials not found.')],
    [401, error('EXPIRED_AUTHENTICATION', 'The access token used to make this call has expired.')],
    [403, error('MISSING_SCOPES', "This app hasn't been granted all required scopes")],
    [401, ''],
  ])('%i is retried with reason class auth: a static token has nothing to renew', (status, body) => {
    const verdict = readUpsertAnswer(status, body);
    expect(verdict).toMatchObject({ outcome: 'retry', reasonClass: 'auth' });
    expect(verdict.outcome === 'retry' && verdict.reason).toMatch(/token and scopes/);
  });

  it.each([
    ['TEN_SECONDLY_ROLLING', undefined, 10],
    ['DAILY', undefined, 3600],
    ['TEN_SECONDLY_ROLLING', 3, 3],
  ])('429 %s is retried later with reason class rate-limit (Retry-After %p → %i s)', (policy, retryAfter, seconds) => {
    const body = JSON.stringify({
      status: 'error',
      message: 'You have reached your limit.',
      errorType: 'RATE_LIMIT',
      policyName: policy,
    });
    expect(readUpsertAnswer(429, body, retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter })).toEqual({
      outcome: 'retry',
      reasonClass: 'rate-limit',
      reason: `HubSpot 429 ${policy} rate limit`,
      retryAfterSeconds: seconds,
    });
  });

  it.each([[500], [502], [503], [504], [423]])('%i is retried with reason class vendor', (status) => {
    expect(readUpsertAnswer(status, '<html>Bad Gateway</html>')).toMatchObject({ outcome: 'retry', reasonClass: 'vendor-error' });
  });

  it.each([
    [
      400,
      error(
        'VALIDATION_ERROR',
        'Property values were not valid: [{"error":"PROPERTY_DOESNT_EXIST","name":"x"}]',
        'PROPERTY_DOESNT_EXIST',
      ),
      'PROPERTY_DOESNT_EXIST',
    ],
    [400, error('VALIDATION_ERROR', 'Unable to perform update/upsert by non-unique 0-1 property firstname'), 'VALIDATION_ERROR'],
    [404, '', 'HTTP_404'],
    [409, error('CONFLICT', 'Contact already exists'), 'CONFLICT'],
  ])('%i is rejected with the code %s and the message', (status, body, code) => {
    const verdict = readUpsertAnswer(status, body);
    expect(verdict).toMatchObject({ outcome: 'rejected', reasonClass: 'rejected-field', code });
    expect(verdict.outcome === 'rejected' && verdict.reason).toContain(`HubSpot ${status}`);
  });

  it('cuts the values it sent out of the message, so a reason never carries a name or phone', () => {
    const body = error('VALIDATION_ERROR', 'Email address zhang@x is invalid; 13800138000 is not valid', 'INVALID_EMAIL');
    const verdict = readUpsertAnswer(400, body, { sentValues: ['zhang@x', '13800138000', 'x'] });
    expect(verdict.outcome === 'rejected' && verdict.reason).toBe(
      'HubSpot 400: INVALID_EMAIL Email address … is invalid; … is not valid',
    );
  });
});
