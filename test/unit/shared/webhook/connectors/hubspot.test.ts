import { parseForwarderSettings } from '../../../../../functions/shared/config/parse-settings';
import { ConfigError } from '../../../../../functions/shared/domain/errors';
import { readUpsertAnswer } from '../../../../../functions/shared/webhook/connectors/hubspot/answer';
import { sentValues } from '../../../../../functions/shared/webhook/connectors/sent-values';
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
      reason: 'HubSpot 207: VALIDATION_ERROR: INVALID_OPTION',
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

  it.each([[500], [502], [503], [504], [521], [524], [408]])('%i is retried with reason class vendor', (status) => {
    expect(readUpsertAnswer(status, '<html>Bad Gateway</html>')).toMatchObject({ outcome: 'retry', reasonClass: 'vendor-error' });
  });

  it.each([
    [undefined, 2],
    [1, 2],
    [5, 5],
  ])('423 Locked is retried after at least the 2 s a lock lasts (Retry-After %p → %i s)', (retryAfter, seconds) => {
    const verdict = readUpsertAnswer(423, '', retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter });
    expect(verdict).toEqual({
      outcome: 'retry',
      reasonClass: 'vendor-error',
      reason: 'HubSpot 423 locked',
      retryAfterSeconds: seconds,
    });
  });

  it.each([
    [7200, 7200],
    [undefined, 3600],
  ])('477 Migration in Progress is retried, never parked, after its Retry-After (%p → %i s)', (retryAfter, seconds) => {
    const verdict = readUpsertAnswer(477, '', retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter });
    expect(verdict).toMatchObject({ outcome: 'retry', reasonClass: 'vendor-error', retryAfterSeconds: seconds });
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

  describe('a reason never carries a value the lead sent (it reaches logs and the DLQ)', () => {
    const NAME = '**三';
    const MOBILE = '13800138000';
    const value = `${NAME} ${MOBILE}`;
    const options = (n: number) => Array.from({ length: n }, (_, i) => `option_${i}`).join(', ');
    // The shape the simulator answers, and HubSpot's pages show: the per-property results inside the
    // message, and an `errors` entry per property.
    const validation = (code: string, property: string, message: string): string => {
      const detail = [{ isValid: false, message, error: code, name: property, localizedErrorMessage: message, portalId: 1 }];
      return JSON.stringify({
        status: 'error',
        message: `Property values were not valid: ${JSON.stringify(detail)}`,
        correlationId: 'c',
        errors: [{ message, code, context: { propertyName: [property] } }],
        category: 'VALIDATION_ERROR',
      });
    };
    it.each([
      ['INVALID_OPTION', 'hs_lead_status', `${value} was not one of the allowed options: [NEW, OPEN]`],
      ['INVALID_INTEGER', 'alimama_score', `${value} was not a valid number.`],
      ['INVALID_EMAIL', 'email', `Email address ${value} is invalid`],
    ])('%s keeps the code and the property name, not the message that quotes the value', (code, property, message) => {
      const verdict = readUpsertAnswer(400, validation(code, property, message));
      expect(verdict).toEqual({
        outcome: 'rejected',
        reasonClass: 'rejected-field',
        code,
        reason: `HubSpot 400: VALIDATION_ERROR Property values were not valid: ${code} (${property})`,
      });
    });

    it("reads the codes of a batch input's error from its message alone (the documented 207 shape)", () => {
      const detail = [
        {
          isValid: false,
          message: `${value} was not one of the allowed options: [NEW]`,
          error: 'INVALID_OPTION',
          name: 'hs_lead_status',
        },
        {
          isValid: false,
          message: 'Property "alimama_page" does not exist',
          error: 'PROPERTY_DOESNT_EXIST',
          name: 'alimama_page',
        },
      ];
      const body = JSON.stringify({
        status: 'COMPLETE',
        results: [],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'VALIDATION_ERROR',
            message: `Property values were not valid: ${JSON.stringify(detail)}`,
            context: { objectWriteTraceId: ['a'] },
          },
        ],
      });
      const verdict = readUpsertAnswer(207, body);
      expect(verdict.outcome === 'rejected' && verdict.reason).toBe(
        'HubSpot 207: VALIDATION_ERROR Property values were not valid: INVALID_OPTION (hs_lead_status), PROPERTY_DOESNT_EXIST (alimama_page)',
      );
    });

    it('reads codes and property names from a body cut at the 4 KB the sender keeps (a long list of options)', () => {
      const body = validation(
        'INVALID_OPTION',
        'alimama_source',
        `${value} was not one of the allowed options: [${options(150)}]`,
      );
      expect(body.length).toBeGreaterThan(4096);
      const verdict = readUpsertAnswer(400, body.slice(0, 4096));
      expect(verdict).toMatchObject({ outcome: 'rejected', code: 'INVALID_OPTION' });
      expect(verdict.outcome === 'rejected' && verdict.reason).toBe(
        'HubSpot 400: Property values were not valid: INVALID_OPTION (alimama_source)',
      );
    });

    it('says nothing of a cut body in which it finds no code', () => {
      const body = validation(
        'INVALID_OPTION',
        'alimama_source',
        `${value} was not one of the allowed options: [${options(600)}]`,
      );
      const verdict = readUpsertAnswer(400, body.slice(0, 4096));
      expect(verdict).toEqual({
        outcome: 'rejected',
        reasonClass: 'rejected-field',
        code: 'HTTP_400',
        reason: 'HubSpot 400 (no error body)',
      });
    });

    it('shows no property name that is not an internal name', () => {
      const verdict = readUpsertAnswer(
        400,
        validation('INVALID_OPTION', value, `${value} was not one of the allowed options: []`),
      );
      expect(verdict.outcome === 'rejected' && verdict.reason).toBe(
        'HubSpot 400: VALIDATION_ERROR Property values were not valid: INVALID_OPTION',
      );
    });

    it('cuts the values it sent out of a free-text message it keeps', () => {
      const body = error('CONFLICT', `A contact with mobilephone ${MOBILE} already exists;\nname ${NAME}`);
      const verdict = readUpsertAnswer(409, body, {
        sentValues: sentValues({ mobilephone: MOBILE, message: `${NAME}\nline 2`, x: 'x' }),
      });
      expect(verdict.outcome === 'rejected' && verdict.reason).toBe(
        'HubSpot 409: CONFLICT A contact with mobilephone … already exists; name …',
      );
    });
  });
});

describe('the hubspot settings', () => {
  const ENDPOINT = { name: 'crm', format: 'hubspot', token: 'pat-na1-SECRET-Ω' };

  function problemsOf(endpoint: Record<string, unknown>): string[] {
    try {
      parseForwarderSettings({ webhooks: [endpoint] });
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it('parse with HubSpot as the default base URL, contacts by alimama_lead_id', () => {
    const [endpoint] = parseForwarderSettings({ webhooks: [ENDPOINT] }).webhooks;
    expect(endpoint!.url).toBe('https://api.hubapi.com/crm/v3/objects/contacts by alimama_lead_id');
  });

  it.each([
    ['token', { token: undefined }],
    ['token', { token: '' }],
    ['token', { token: 42 }],
    ['baseUrl', { baseUrl: 'not a url Ω' }],
    ['baseUrl', { baseUrl: 'http://api.example.com/Ω' }],
    ['baseUrl', { baseUrl: 'https://user:Ω@api.example.com' }],
    ['idProperty', { idProperty: 'Alimama Lead Ω' }],
    ['idProperty', { idProperty: 7 }],
    ['objectType', { objectType: 'Contacts/Ω' }],
  ])('names a bad %s, without quoting its value or the token (%j)', (key, overrides) => {
    const problems = problemsOf({ ...ENDPOINT, ...overrides }).join('\n');
    expect(problems).toContain(`webhooks "crm".${key}`);
    expect(problems).not.toMatch(/Ω|SECRET/);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf({ ...ENDPOINT, token: '', idProperty: 'Lead Id', objectType: 'Contacts' });
    expect(problems.map((problem) => /\.(\w+) /.exec(problem)?.[1])).toEqual(['token', 'idProperty', 'objectType']);
  });
});
