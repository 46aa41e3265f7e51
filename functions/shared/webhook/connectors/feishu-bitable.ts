import { Problems, requiredText, url } from '../../config/readers';
import { USER_AGENT } from '../formats/headers';
import { TokenRequestError } from '../auth/oauth2-token';
import type { StandardPayload } from '../standard-payload';
import { credentialKey } from './credential-key';
import { idempotencyUuid } from './idempotency-key';
import { jsonObject, vendorMessage } from './json-answer';
import type { AccessToken, ConnectorDefinition, ConnectorInstance, ConnectorVerdict, VendorAnswer } from './types';

/**
 * `feishu-bitable` (飞书多维表格, DESIGN §7): one record per lead in a Bitable table.
 * - Token: tenant_access_token for a self-built app, `POST /open-apis/auth/v3/tenant_access_token/internal`
 *   with `{"app_id", "app_secret"}` → `{"code": 0, "tenant_access_token", "expire"}` (seconds).
 * - Record: `POST /open-apis/bitable/v1/apps/{app_token}/tables/{table_id}/records?client_token=<uuid>`
 *   with `Authorization: Bearer` and `{"fields": {…}}` → `{"code": 0, "data": {"record": {"record_id"}}}`;
 *   a repeated `client_token` answers with the record it already made.
 * - Errors come as a JSON `code`, often with HTTP 400: the code is read before the status.
 * Sources: DESIGN §7 (the contract); the connector's own engineer verifies each against the
 * Feishu open platform documentation and cites the pages here.
 */

const DEFAULT_BASE_URL = 'https://open.feishu.cn';
/** Token invalid or expired: a new token, then one more try. */
const TOKEN_CODES = new Set([99991661, 99991663, 99991668]);
/** Rate limited. */
const RATE_LIMITED = 99991400;

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
  if (code === 0) {
    const record = (json.data as { record?: { record_id?: unknown } } | undefined)?.record;
    return typeof record?.record_id === 'string'
      ? { outcome: 'delivered', recordId: record.record_id }
      : { outcome: 'delivered' };
  }
  const reason = `Feishu code ${code} (${vendorMessage(json.msg)})`;
  if (TOKEN_CODES.has(code)) return { outcome: 'reauthenticate', reason };
  if (code === RATE_LIMITED) return { outcome: 'retry', reasonClass: 'rate-limit', reason };
  if (answer.status >= 500) return { outcome: 'retry', reasonClass: 'vendor-error', reason };
  return { outcome: 'rejected', reasonClass: 'rejected-field', reason };
}

/**
 * Columns a fresh table gets once the user adds them (README "Connect your CRM"): text columns
 * but `留资时间`, a date column, which takes epoch milliseconds. A mobile still encrypted is left
 * out: a phone column must never hold a ciphertext.
 */
function defaultFields(payload: StandardPayload): Record<string, unknown> {
  const lead = payload.data;
  const fields: Record<string, unknown> = { 线索ID: lead.id };
  if (lead.name !== undefined) fields['姓名'] = lead.name;
  if (lead.mobile !== undefined && lead.mobile_encrypted !== true) fields['手机号'] = lead.mobile;
  const at = Date.parse(lead.lead_time ?? lead.gmt_create ?? '');
  if (!Number.isNaN(at)) fields['留资时间'] = at;
  if (lead.page_name !== undefined) fields['落地页'] = lead.page_name;
  if (lead.location !== undefined) fields['地区'] = lead.location;
  if (lead.mm_src_cname !== undefined) fields['来源'] = lead.mm_src_cname;
  return fields;
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
