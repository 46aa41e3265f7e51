import { Problems, requiredText, url } from '../../config/readers';
import { isRecord } from '../../domain/is-record';
import { USER_AGENT } from '../formats/headers';
import { TokenRequestError } from '../auth/oauth2-token';
import type { StandardPayload } from '../standard-payload';
import { credentialKey } from './credential-key';
import { idempotencyUuid } from './idempotency-key';
import { bitableCodeMeaning } from './feishu-bitable-errors';
import { defaultBitableFields } from './feishu-bitable-fields';
import { jsonObject, vendorMessage } from './json-answer';
import type { AccessToken, ConnectorDefinition, ConnectorInstance, ConnectorVerdict, VendorAnswer } from './types';

/**
 * `feishu-bitable` (飞书多维表格, DESIGN §7): one record per lead in a Bitable table, checked
 * against the Feishu open platform documentation:
 * - Token, 自建应用获取 tenant_access_token: `POST /open-apis/auth/v3/tenant_access_token/internal`,
 *   `Content-Type: application/json; charset=utf-8`, `{"app_id", "app_secret"}` →
 *   `{"code": 0, "msg": "ok", "tenant_access_token": "t-…", "expire": 7200}` (seconds; at most two
 *   hours; asked again with 30 minutes or more left it answers the same token, with less a new one
 *   while the old stays valid, so renewing early is harmless).
 *   https://open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal
 * - Record, 新增记录: `POST /open-apis/bitable/v1/apps/:app_token/tables/:table_id/records`, query
 *   `client_token` ("a standard uuidv4 … for idempotent operations"), `Authorization: Bearer
 *   <tenant_access_token>`, `{"fields": {<column name>: <value>}}` → `{"code": 0, "data": {"record":
 *   {"fields", "id", "record_id"}}, "msg": "success"}`. Scope 新增记录 (base:record:create) or
 *   bitable:app; 50 requests a second; a date column takes epoch milliseconds, a phone column text.
 *   https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/bitable-v1/app-table-record/create
 * - A repeated `client_token` makes no second record: the documentation calls the key idempotent
 *   without showing the answer; this connector (and the simulator) take code 0 with the record
 *   made the first time, and an error code would be read like any other.
 * - Errors: a JSON `code` on HTTP 400, 200, 403 or 504: the code is read before the status
 *   (feishu-bitable-errors.ts has the table and its sources).
 */

const DEFAULT_BASE_URL = 'https://open.feishu.cn';

export interface FeishuBitableSettings {
  baseUrl: string;
  appId: string;
  appSecret: string;
  appToken: string;
  tableId: string;
}

export const feishuBitable: ConnectorDefinition = {
  keys: ['baseUrl', 'appId', 'appSecret', 'appToken', 'tableId'],
  secretKeys: ['appSecret'],
  parse(value, where, problems) {
    const before = problems.list.length;
    const settings = {
      baseUrl: url(value.baseUrl ?? DEFAULT_BASE_URL, `${where}.baseUrl`, problems),
      appId: requiredText(value.appId, `${where}.appId`, problems),
      appSecret: requiredText(value.appSecret, `${where}.appSecret`, problems),
      appToken: pathSegment(value.appToken, `${where}.appToken`, problems),
      tableId: pathSegment(value.tableId, `${where}.tableId`, problems),
    };
    if (problems.list.length > before) return undefined;
    return bitable(settings as FeishuBitableSettings);
  },
};

function bitable(settings: FeishuBitableSettings): ConnectorInstance {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const records = `${base}/open-apis/bitable/v1/apps/${settings.appToken}/tables/${settings.tableId}/records`;
  return {
    target: records,
    token: {
      kind: 'fetched',
      key: credentialKey('feishu', base, settings.appId, settings.appSecret),
      request: () => ({
        url: `${base}/open-apis/auth/v3/tenant_access_token/internal`,
        headers: jsonHeaders(),
        body: JSON.stringify({ app_id: settings.appId, app_secret: settings.appSecret }),
      }),
      read: readToken,
    },
    defaultFields,
    // Feishu refuses a second write to a table while one is in progress (1254291, feishu-bitable-errors.ts).
    writeLane: records,
    renderRecord: (record, token) => ({
      url: `${records}?client_token=${idempotencyUuid(record.endpointName, record.webhookId)}`,
      headers: { ...jsonHeaders(), authorization: `Bearer ${token.value}` },
      body: JSON.stringify({ fields: record.fields }),
    }),
    readAnswer,
  };
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT };
}

function readToken(answer: VendorAnswer): AccessToken {
  const json = jsonObject(answer.body);
  if (json === undefined) throw new TokenRequestError(`Feishu's token endpoint answered HTTP ${answer.status} without JSON`);
  if (json.code !== 0)
    throw new TokenRequestError(`Feishu refused the app's credentials: code ${String(json.code)} (${vendorMessage(json.msg)})`);
  const value = json.tenant_access_token;
  if (typeof value !== 'string' || value === '') throw new TokenRequestError(`Feishu's token answer has no tenant_access_token`);
  return typeof json.expire === 'number' ? { value, expiresInSeconds: json.expire } : { value };
}

function readAnswer(answer: VendorAnswer): ConnectorVerdict {
  const json = jsonObject(answer.body);
  if (json === undefined || typeof json.code !== 'number') {
    if (answer.status === 429 || answer.status >= 500)
      return {
        outcome: 'retry',
        reasonClass: answer.status === 429 ? 'rate-limit' : 'vendor-error',
        reason: 'Feishu is unavailable',
      };
    return { outcome: 'rejected', reasonClass: 'rejected-field', reason: 'Feishu answered without a JSON code' };
  }
  const code = json.code;
  const meaning = bitableCodeMeaning(code);
  if (meaning.kind === 'delivered') {
    const recordId = isRecord(json.data) && isRecord(json.data.record) ? json.data.record.record_id : undefined;
    return typeof recordId === 'string' && recordId !== '' ? { outcome: 'delivered', recordId } : { outcome: 'delivered' };
  }
  const reason = `Feishu code ${code} (${vendorMessage(json.msg)})`;
  if (meaning.kind === 'reauthenticate') return { outcome: 'reauthenticate', reason };
  if (meaning.kind === 'retry') return { outcome: 'retry', reasonClass: meaning.reasonClass, reason };
  // A code the table does not know on a 5xx is the platform's trouble, not the record's.
  if (answer.status >= 500) return { outcome: 'retry', reasonClass: 'vendor-error', reason };
  return { outcome: 'rejected', reasonClass: meaning.reasonClass, reason };
}

/** The default mapping (feishu-bitable-fields.ts): the columns the README asks the user to create. */
function defaultFields(payload: StandardPayload): Record<string, unknown> {
  return defaultBitableFields(payload.data);
}

/** App tokens and table ids go into the URL path: letters and digits only, as Feishu issues them. */
function pathSegment(value: unknown, name: string, problems: Problems): string | undefined {
  const text = requiredText(value, name, problems);
  if (text !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(text)) {
    problems.add(`${name} must be the id Feishu shows in the table's URL (letters and digits)`);
    return undefined;
  }
  return text;
}
