import { parseForwarderSettings } from '../../../../../functions/shared/config/parse-settings';
import { ConfigError } from '../../../../../functions/shared/domain/errors';
import { defaultFields, readAnswer, readLookup } from '../../../../../functions/shared/webhook/connectors/fxiaoke';
import type { StandardPayload } from '../../../../../functions/shared/webhook/standard-payload';

/** The fxiaoke connector's settings, error table and default mapping, table-driven. */

const ENDPOINT = {
  name: 'crm',
  format: 'fxiaoke',
  appId: 'FSAID_1',
  appSecret: 'APP-SECRET-Ω',
  permanentCode: 'PERMANENT-Ω',
  currentOpenUserId: 'FSUID_1',
};

function problemsOf(endpoint: Record<string, unknown>): string[] {
  try {
    parseForwarderSettings({ webhooks: [endpoint] });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('parses with the vendor default base URL as its target', () => {
  const [endpoint] = parseForwarderSettings({ webhooks: [ENDPOINT] }).webhooks;
  expect(endpoint!.url).toBe('https://open.fxiaoke.com/cgi/crm/v2/data/create (LeadsObj)');
});

test.each([
  ['appId', { appId: undefined }],
  ['appSecret', { appSecret: 7 }],
  ['permanentCode', { permanentCode: '' }],
  ['currentOpenUserId', { currentOpenUserId: undefined }],
  ['leadIdField', { leadIdField: 'alimama_lead_id' }],
  ['baseUrl', { baseUrl: 'http://open.example.com' }],
])('names a bad %s, never a secret', (key, overrides) => {
  const problems = problemsOf({ ...ENDPOINT, ...overrides });
  expect(problems.join('\n')).toContain(`webhooks "crm".${key}`);
  expect(problems.join('\n')).not.toMatch(/Ω/);
});

const answer = (body: unknown, status = 200) => ({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });

test.each([
  [
    { errorCode: 0, dataId: 'abc' },
    { outcome: 'delivered', recordId: 'abc' },
  ],
  [{ errorCode: 20016, errorMessage: 'expired' }, { outcome: 'reauthenticate' }],
  [{ errorCode: 11014 }, { outcome: 'reauthenticate' }],
  [{ errorCode: 30004 }, { outcome: 'retry', reasonClass: 'rate-limit' }],
  [{ errorCode: 14001 }, { outcome: 'retry', reasonClass: 'rate-limit' }],
  [{ errorCode: 30002 }, { outcome: 'retry', reasonClass: 'rate-limit' }],
  [{ errorCode: -1 }, { outcome: 'retry', reasonClass: 'vendor-error' }],
  [{ errorCode: 50009 }, { outcome: 'retry', reasonClass: 'vendor-error' }],
  [{ errorCode: 20021 }, { outcome: 'retry', reasonClass: 'auth' }],
  [{ errorCode: 30003 }, { outcome: 'retry', reasonClass: 'auth' }],
  [
    { errorCode: 32000, errorMessage: '字段[x]不存在' },
    { outcome: 'rejected', reasonClass: 'rejected-field', reason: '纷享销客 errorCode 32000 (字段[x]不存在)' },
  ],
])('reads %j', (body, verdict) => {
  expect(readAnswer(answer(body))).toMatchObject(verdict);
});

test('reads a non-JSON answer by its status', () => {
  expect(readAnswer(answer('<html>', 502))).toMatchObject({ outcome: 'retry', reasonClass: 'vendor-error' });
  expect(readAnswer(answer('<html>', 429))).toMatchObject({ outcome: 'retry', reasonClass: 'rate-limit' });
  expect(readAnswer(answer('<html>', 404))).toMatchObject({ outcome: 'rejected' });
});

test('reads a look-up: found, absent, or an odd answer to retry', () => {
  expect(readLookup(answer({ errorCode: 0, data: { dataList: [{ _id: 'r1' }] } }))).toEqual({ outcome: 'found', recordId: 'r1' });
  expect(readLookup(answer({ errorCode: 0, data: { dataList: [] } }))).toEqual({ outcome: 'absent' });
  expect(readLookup(answer({ errorCode: 0 }))).toMatchObject({ outcome: 'retry' });
  expect(readLookup(answer({ errorCode: 0, data: { dataList: [{}] } }))).toMatchObject({ outcome: 'retry' });
  expect(readLookup(answer({ errorCode: 20016 }))).toMatchObject({ outcome: 'reauthenticate' });
});

const payload = (data: StandardPayload['data']): StandardPayload => ({
  type: 'lead.created',
  timestamp: '2026-11-29T06:00:00.000Z',
  data,
});

test('the default mapping: name, lead id, a plain mobile, the rest in remark', () => {
  expect(
    defaultFields(
      payload({ id: '7', name: '张三', mobile: '13800138000', mobile_encrypted: false, page_name: '页', location: '杭州' }),
    ),
  ).toEqual({ name: '张三', alimama_lead_id__c: '7', mobile: '13800138000', remark: '落地页: 页\n地区: 杭州' });
});

test('leaves an encrypted mobile out, stands in for a missing name, and keeps text within its length', () => {
  const fields = defaultFields(payload({ id: '8', mobile: 'q83vEjRWeJA=', mobile_encrypted: true }));
  expect(fields).toEqual({ name: '阿里妈妈线索 8', alimama_lead_id__c: '8' });
  const long = defaultFields(payload({ id: '9', name: '张'.repeat(150), page_name: '页'.repeat(3000) }));
  expect([...(long.name as string)]).toHaveLength(100);
  expect([...(long.remark as string)]).toHaveLength(2000);
});
