import { randomUUID } from 'node:crypto';
import { Problems, requiredText, url } from '../../config/readers';
import { TokenRequestError } from '../auth/oauth2-token';
import { USER_AGENT } from '../formats/headers';
import type { StandardPayload } from '../standard-payload';
import { credentialKey } from './credential-key';
import { idempotencyUuid } from './idempotency-key';
import { jsonObject, vendorMessage } from './json-answer';
import type { AccessToken, ConnectorDefinition, ConnectorInstance, ConnectorVerdict, LookupVerdict, VendorAnswer } from './types';

/**
 * `fxiaoke` (纷享销客, DESIGN §7): one 销售线索 (`LeadsObj`) per lead, through the open API with the
 * legacy parameter passing (token and identity in the JSON body, no header).
 * Sources, read 2026-12 (fxiaoke's own pages unless said otherwise):
 * - Token: "Legacy Parameter Passing Method Documentation", developer.fxiaoke.com, dated 2026-01-19
 *   (https://developer.fxiaoke.com/openapi_v2/en/start/example/old.html): `POST
 *   /cgi/corpAccessToken/get/V2?thirdTraceId=<random string>` with `{appId, appSecret, permanentCode}`
 *   → `{errorCode, errorMessage, corpAccessToken, corpId, expiresIn}` (seconds, 0–7200; the same
 *   token within 0–6600 s, a new one after). Later calls carry `corpAccessToken`, `corpId` and
 *   `currentOpenUserId` at the top of the body and need no header (same page).
 * - Create: "Create Sales Record Object", developer.fxiaoke.com, dated 2026-01-19
 *   (https://developer.fxiaoke.com/openapi_v2/en/object/SalesAndOrders/ActiveRecordObj/add.html, the
 *   path every preset object shares): `POST /cgi/crm/v2/data/create?thirdTraceId=…` with
 *   `{triggerApprovalFlow?, triggerWorkFlow? (both default true), data: {object_data:
 *   {dataObjectApiName, …fields}, optionInfo?}}` → `{errorCode: 0, errorMessage, dataId, traceId}`.
 * - Look-up: "Query Customer Object List by Criteria", fxiaoke.com open API guide
 *   (https://www.fxiaoke.com/mob/guide/openapi/dist/en/pages/open-api/collection/object/AccountObj/query-acc/):
 *   `POST /cgi/crm/v2/data/query` with `data: {dataObjectApiName, search_query_info: {limit (at most
 *   100), offset (a multiple of limit), filters: [{field_name, field_values: [string], operator:
 *   "EQ"}], fieldProjection}}`. The answer's shape `{errorCode: 0, data: {dataList: [{_id, …}]}}` is
 *   taken from the example answers of the apifox copy of these pages (https://fxiaoke.apifox.cn/api-12901184).
 * - Codes: every API page refers to the global return code table
 *   (https://developer.fxiaoke.com/openapi_v2/start/guide/codes.html) and says never to branch on
 *   `errorMessage` (e.g. the guide's changeOwner page,
 *   https://www.fxiaoke.com/mob/guide/openapi/dist/en/pages/open-api/collection/other/offline/change/).
 *   That table itself was not found in any public copy searched; the codes below come from
 *   third-party transcriptions of it, named where each set is defined. That every answer, error or not, is HTTP 200 with the code in `errorCode`
 *   is from the same third-party notes (their probes without credentials), not from a page of
 *   fxiaoke's, so an HTTP error without a code is read as well.
 * Idempotency: the API has no idempotency key, and `optionInfo.isDuplicateSearch` (查重) is not
 * explained by the docs and depends on duplicate rules the corp may not have. So the connector
 * looks up a custom text field holding the lead id (`leadIdField`, default `alimama_lead_id__c`)
 * before creating; with the ledger, a re-send after an unrecorded success finds the record.
 * Unclear in the docs, and chosen here: each request should carry a different thirdTraceId; the
 * record and look-up requests derive theirs from (endpoint, webhook id) so that they stay pure
 * (a retry repeats it). No field-validation code is documented: every code not listed below is
 * read as a rejected record.
 */

const DEFAULT_BASE_URL = 'https://open.fxiaoke.com';
export const DEFAULT_LEAD_ID_FIELD = 'alimama_lead_id__c';
const LEADS_OBJECT = 'LeadsObj';
/*
 * Where the codes come from (see Codes above). The table as transcribed in the enum of a
 * third-party CRM/ERP sync tool, truemogician/CRM-ERP-Synchronizer (FXiaoKe/Responses/ErrorCode.cs):
 * -2, -1, 10013, 11014, 14001, 15003, 20012, 20014, 20016, 20020, 20021, 20022, 30003. 20016 also in
 * the Java demo of openfxiaoke/demo (fs-open-demo/…/demo/utils/Constants.java; package
 * com.facishare.open, by its name the open platform's own, not confirmed). 30002, 30004
 * and 50009 are missing from that enum: they are from public integration notes that quote the newer
 * table (the errors-and-limits page of a "fxiaoke" API guide; which repository holds it is unknown),
 * which also say which of 14001 and 30004 answers which limit is not documented.
 */
/** 20016 corpAccessToken 不存在或者已经过期; 11014 参数 corpAccessToken 不合法; 10013 缺少参数 corpAccessToken. */
const TOKEN_CODES = new Set([20016, 11014, 10013]);
/** 30004 秒频次超限, 14001 接口调用超过限制, 30002 当天访问频次超限 (counted again from midnight). */
const RATE_LIMIT_CODES = new Set([30004, 14001, 30002]);
/** -1 系统繁忙, -2 系统错误, 50009 服务异常 (e.g. a timeout; in the newer table only). */
const VENDOR_CODES = new Set([-1, -2, 50009]);
/**
 * The app's standing in the corp, not the record: 15003 app without access, 20012 openUserId not
 * found, 20014/20020 no permission on the data, 20021 app disabled, 20022 app not authorized,
 * 30003 no open API quota bought. Retried (class `auth`) so that leads wait for the admin's fix.
 */
const AUTH_CODES = new Set([15003, 20012, 20014, 20020, 20021, 20022, 30003]);
/** Single-line text fields hold 100 characters, multi-line 2000 (the CRM's defaults; see README). */
const TEXT_MAX = 100;
const LONG_TEXT_MAX = 2000;

export interface FxiaokeSettings {
  baseUrl: string;
  appId: string;
  appSecret: string;
  permanentCode: string;
  currentOpenUserId: string;
  leadIdField: string;
}

export const fxiaoke: ConnectorDefinition = {
  keys: ['baseUrl', 'appId', 'appSecret', 'permanentCode', 'currentOpenUserId', 'leadIdField'],
  secretKeys: ['appSecret', 'permanentCode'],
  parse(value, where, problems) {
    const before = problems.list.length;
    const settings = {
      baseUrl: url(value.baseUrl ?? DEFAULT_BASE_URL, `${where}.baseUrl`, problems),
      appId: requiredText(value.appId, `${where}.appId`, problems),
      appSecret: requiredText(value.appSecret, `${where}.appSecret`, problems),
      permanentCode: requiredText(value.permanentCode, `${where}.permanentCode`, problems),
      currentOpenUserId: requiredText(value.currentOpenUserId, `${where}.currentOpenUserId`, problems),
      leadIdField: leadIdField(value.leadIdField ?? DEFAULT_LEAD_ID_FIELD, `${where}.leadIdField`, problems),
    };
    if (problems.list.length > before) return undefined;
    return connector(settings as FxiaokeSettings);
  },
};

function connector(settings: FxiaokeSettings): ConnectorInstance {
  const base = settings.baseUrl.replace(/\/+$/, '');
  const common = (token: AccessToken): Record<string, string> => ({
    corpAccessToken: token.value,
    corpId: token.context?.corpId ?? '',
    currentOpenUserId: settings.currentOpenUserId,
  });
  return {
    target: `${base}/cgi/crm/v2/data/create (${LEADS_OBJECT})`,
    token: {
      kind: 'fetched',
      key: credentialKey('fxiaoke', base, settings.appId, settings.appSecret, settings.permanentCode),
      request: () => ({
        url: `${base}/cgi/corpAccessToken/get/V2?thirdTraceId=${randomUUID()}`,
        headers: jsonHeaders(),
        body: JSON.stringify({ appId: settings.appId, appSecret: settings.appSecret, permanentCode: settings.permanentCode }),
      }),
      read: readToken,
    },
    defaultFields: (payload) => defaultFields(payload, settings.leadIdField),
    lookup: {
      request: (record, token) => ({
        url: `${base}/cgi/crm/v2/data/query?thirdTraceId=${idempotencyUuid(`${record.endpointName}\nlookup`, record.webhookId)}`,
        headers: jsonHeaders(),
        body: JSON.stringify({
          ...common(token),
          data: {
            dataObjectApiName: LEADS_OBJECT,
            search_query_info: {
              limit: 1,
              offset: 0,
              filters: [{ field_name: settings.leadIdField, field_values: [record.leadId], operator: 'EQ' }],
              fieldProjection: ['_id'],
            },
          },
        }),
      }),
      read: readLookup,
    },
    renderRecord: (record, token) => ({
      url: `${base}/cgi/crm/v2/data/create?thirdTraceId=${idempotencyUuid(record.endpointName, record.webhookId)}`,
      headers: jsonHeaders(),
      body: JSON.stringify({
        ...common(token),
        // A lead from an ad form is not a document to approve; workflows (assignment rules) still run.
        triggerApprovalFlow: false,
        data: {
          // The lead id field is what the look-up finds a record by: a `fields` expression cannot drop it.
          object_data: { ...record.fields, [settings.leadIdField]: record.leadId, dataObjectApiName: LEADS_OBJECT },
        },
      }),
    }),
    readAnswer,
  };
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT };
}

function readToken(answer: VendorAnswer): AccessToken {
  const json = jsonObject(answer.body);
  if (json === undefined) throw new TokenRequestError(`纷享销客's token endpoint answered HTTP ${answer.status} without JSON`);
  if (json.errorCode !== 0)
    throw new TokenRequestError(
      `纷享销客 refused the app's credentials: errorCode ${String(json.errorCode)} (${vendorMessage(json.errorMessage)})`,
    );
  const { corpAccessToken: value, corpId, expiresIn } = json;
  if (typeof value !== 'string' || value === '') throw new TokenRequestError(`纷享销客's token answer has no corpAccessToken`);
  if (typeof corpId !== 'string' || corpId === '') throw new TokenRequestError(`纷享销客's token answer has no corpId`);
  return typeof expiresIn === 'number' && expiresIn > 0
    ? { value, expiresInSeconds: expiresIn, context: { corpId } }
    : { value, context: { corpId } };
}

/** Every answer but a success: what its code means. */
function failure(
  answer: VendorAnswer,
): Exclude<ConnectorVerdict, { outcome: 'delivered' }> | { code: 0; json: Record<string, unknown> } {
  const json = jsonObject(answer.body);
  if (json === undefined || typeof json.errorCode !== 'number') {
    if (answer.status === 429 || answer.status >= 500)
      return {
        outcome: 'retry',
        reasonClass: answer.status === 429 ? 'rate-limit' : 'vendor-error',
        reason: `纷享销客 answered HTTP ${answer.status}`,
      };
    return {
      outcome: 'rejected',
      reasonClass: 'rejected-field',
      reason: `纷享销客 answered HTTP ${answer.status} without an errorCode`,
    };
  }
  const code = json.errorCode;
  if (code === 0) return { code: 0, json };
  const reason = `纷享销客 errorCode ${code} (${vendorMessage(json.errorMessage)})`;
  if (TOKEN_CODES.has(code)) return { outcome: 'reauthenticate', reason };
  if (RATE_LIMIT_CODES.has(code)) return { outcome: 'retry', reasonClass: 'rate-limit', reason };
  if (VENDOR_CODES.has(code)) return { outcome: 'retry', reasonClass: 'vendor-error', reason };
  if (AUTH_CODES.has(code)) return { outcome: 'retry', reasonClass: 'auth', reason };
  return { outcome: 'rejected', reasonClass: 'rejected-field', reason };
}

export function readAnswer(answer: VendorAnswer): ConnectorVerdict {
  const read = failure(answer);
  if ('outcome' in read) return read;
  const dataId = read.json.dataId;
  return typeof dataId === 'string' && dataId !== '' ? { outcome: 'delivered', recordId: dataId } : { outcome: 'delivered' };
}

export function readLookup(answer: VendorAnswer): LookupVerdict {
  const read = failure(answer);
  if ('outcome' in read) return read;
  const data = read.json.data;
  const list = typeof data === 'object' && data !== null && 'dataList' in data ? data.dataList : undefined;
  if (!Array.isArray(list))
    return { outcome: 'retry', reasonClass: 'vendor-error', reason: '纷享销客 answered a query without data.dataList' };
  const first: unknown = list[0];
  if (first === undefined) return { outcome: 'absent' };
  const id = typeof first === 'object' && first !== null && '_id' in first ? first._id : undefined;
  return typeof id === 'string' && id !== ''
    ? { outcome: 'found', recordId: id }
    : { outcome: 'retry', reasonClass: 'vendor-error', reason: '纷享销客 answered a record without _id' };
}

/**
 * Preset LeadsObj fields a fresh corp has (`name` 姓名 required, `mobile` 手机, `remark` 备注) and
 * the lead id field the README asks for. `name` is required, so a lead without one gets a stand-in.
 * A mobile still encrypted is left out: a phone field never holds a ciphertext.
 */
export function defaultFields(payload: StandardPayload, leadIdField: string = DEFAULT_LEAD_ID_FIELD): Record<string, unknown> {
  const lead = payload.data;
  const fields: Record<string, unknown> = {
    name: cut(lead.name !== undefined && lead.name.trim() !== '' ? lead.name : `阿里妈妈线索 ${lead.id}`, TEXT_MAX),
    [leadIdField]: lead.id,
  };
  if (lead.mobile !== undefined && lead.mobile_encrypted !== true) fields.mobile = lead.mobile;
  const notes: string[] = [];
  if (lead.page_name !== undefined) notes.push(`落地页: ${lead.page_name}`);
  if (lead.location !== undefined) notes.push(`地区: ${lead.location}`);
  if (lead.mm_src_cname !== undefined) notes.push(`来源: ${lead.mm_src_cname}`);
  if (lead.lead_time !== undefined) notes.push(`留资时间: ${lead.lead_time}`);
  for (const extra of lead.extend_list ?? []) notes.push(`${extra.label ?? extra.code ?? ''}: ${extra.value ?? ''}`);
  if (notes.length > 0) fields.remark = cut(notes.join('\n'), LONG_TEXT_MAX);
  return fields;
}

/** At most `max` characters (code points, as the CRM counts them). */
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

/** A field api name: a custom one ends with `__c` (the CRM's naming). */
function leadIdField(value: unknown, name: string, problems: Problems): string | undefined {
  const text = requiredText(value, name, problems);
  if (text !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,62}__c$/.test(text)) {
    problems.add(`${name} must be the api name of a custom field (ending in __c), as the field's settings show it`);
    return undefined;
  }
  return text;
}
