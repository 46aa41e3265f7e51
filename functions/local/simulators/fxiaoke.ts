import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../../shared/domain/is-record';
import { FaultQueue, HttpSimulator, parseJson, readBody, send, sendJson, type SimulatorControls } from './http-server';
import { sameSecret } from './same-secret';

/**
 * A simulated 纷享销客 (Fxiaoke / ShareCRM) open API: a real HTTP server that answers the three
 * calls the fxiaoke connector makes, as strictly as the public documentation describes them, and
 * keeps the 销售线索 (`LeadsObj`) records it creates so tests can count them. Product code: the
 * README's dry run (`dev --config` with `baseUrl` pointed here) and the integration tests use it.
 *
 * Sources (developer.fxiaoke.com, "OpenAPI v2" site, pages dated 2026-01-19; read 2026-12):
 * - Token, legacy parameters: "Legacy Parameter Passing Method" (openapi_v2/en/start/example/old.html):
 *   `POST /cgi/corpAccessToken/get/V2?thirdTraceId=…` with `{appId, appSecret, permanentCode}` →
 *   `{errorCode, errorMessage, corpAccessToken, corpId, expiresIn}`; within 0–6600 s the same token
 *   comes back, from 6600 s to 7200 s a new one. Every later call carries `corpAccessToken`,
 *   `corpId` and `currentOpenUserId` at the top of its JSON body, and no header.
 * - Create: "Create Sales Record Object" (openapi_v2/en/object/SalesAndOrders/ActiveRecordObj/add.html;
 *   every preset object such as `LeadsObj` shares the path): `POST /cgi/crm/v2/data/create` with
 *   `{triggerApprovalFlow?, triggerWorkFlow?, data: {object_data: {dataObjectApiName, …fields},
 *   optionInfo?: {isDuplicateSearch?, …}}}` → `{errorCode: 0, errorMessage: "OK", errorDescription:
 *   "success", dataId, traceId}`.
 * - Query: "Query Customer Object List by Criteria" (fxiaoke.com/mob/guide/openapi/…/AccountObj/query-acc/):
 *   `POST /cgi/crm/v2/data/query` with `{data: {dataObjectApiName, search_query_info: {limit ≤ 100,
 *   offset (a multiple of limit), filters: [{field_name, field_values: [..], operator: "EQ"…}]}}}`
 *   → `{errorCode: 0, data: {dataList: [...], total}}` (the response shape from the apifox copy of
 *   the official pages, fxiaoke.apifox.cn/api-12901184).
 * - Codes: the global return code table (openapi_v2/start/guide/codes.html; the page itself was not
 *   found, the codes are as third parties transcribed it, named in connectors/fxiaoke.ts): -1 系统繁忙,
 *   -2 系统错误, 10001/10002/10012 missing appId/appSecret/permanentCode, 10013 missing
 *   corpAccessToken, 10014 missing corpId, 10010 missing openUserId, 11015 corpId invalid,
 *   12004 empty POST body, 14001 接口调用超过限制, 20006 appId or appSecret wrong, 20012 openUserId
 *   not found, 20015 permanent code wrong, 20016 corpAccessToken missing or expired, 30002 daily
 *   quota used up, 30004 per-second frequency exceeded, 32000 参数错误, 50009 service exception
 *   (e.g. timeout). Every answer, error or not, is HTTP 200 with the code in the body.
 *
 * Where the documentation says nothing, the simulator makes a choice and says so:
 * - Field validation (unknown field, required field missing, text too long, a phone field that is
 *   not a phone number) has no documented code: the simulator answers 32000 参数错误 with the field
 *   named in `errorMessage`. The connector treats any such code as "rejected", so the choice only
 *   shows in messages.
 * - The token endpoint is documented as allowing few calls a minute and no concurrent calls
 *   (DESIGN §7); the code for breaking that is not documented: the simulator answers 14001.
 * - No unique-field or idempotency-key mechanism is documented for `data/create`, and the meaning
 *   of `optionInfo.isDuplicateSearch` is not explained: the simulator creates a second record for
 *   a second call, as the real service does without a duplicate rule. Idempotency is the caller's
 *   business (query by the lead id field first).
 */

/** Where a fault applies. */
export type FxiaokeEndpoint = 'token' | 'create' | 'query';

/** A misbehaviour for one call (queueFault) or for every call (setFault) of one endpoint (default `create`). */
export type FxiaokeFault = { on?: FxiaokeEndpoint } & (
  | /** 30004 秒频次超限 (or another frequency code, e.g. 14001 or 30002). */ { kind: 'rate-limit'; code?: number }
  | /** -1 系统繁忙. */ { kind: 'system-busy' }
  | /** 50009 服务异常 (a timeout behind the gateway). */ { kind: 'service-error' }
  | /** 20016 for this call, whatever the token. */ { kind: 'token-expired' }
  | /** Any error answer. */ { kind: 'vendor-error'; code: number; message: string }
  | /** An HTML error page from a proxy in front of the gateway (default 502). */ { kind: 'http-error'; status?: number }
  | /** Close the connection without answering. */ { kind: 'drop-connection' }
  | /** Create the record, then close the connection without answering: an unrecorded success. */ {
      kind: 'accept-then-drop';
    }
  | /** Answer normally, this much later. */ { kind: 'delay'; ms: number }
  | /** After verification, answer exactly this body (200 unless `status`). */ { kind: 'raw-body'; body: string; status?: number }
);

/** One field of the simulated `LeadsObj` describe. */
export interface FxiaokeFieldSpec {
  type: 'text' | 'long_text' | 'phone_number' | 'email' | 'date_time';
  /** Characters; text fields only. */
  maxLength?: number;
  required?: boolean;
}

export interface SimulatedFxiaokeOptions {
  appId?: string;
  appSecret?: string;
  permanentCode?: string;
  corpId?: string;
  /** The open user ids that exist; a create or query as anyone else is refused (20012). */
  openUserIds?: readonly string[];
  /** Lifetime of a corp access token. Default 7200 s, as documented. */
  tokenLifetimeSeconds?: number;
  /**
   * A token also lapses once this many records were created with it (20016 from then on, as when
   * its lifetime ran out, and the next token call issues a new one): a lapse midway through a
   * run at a known point, where a short lifetime in seconds would depend on the machine's speed.
   */
  tokenLifetimeRecords?: number;
  /** Token calls allowed per rolling minute (further ones: 14001). Default 10. */
  tokenCallsPerMinute?: number;
  /** `LeadsObj` fields the corp has. Default DEFAULT_LEADS_FIELDS plus the custom `alimama_lead_id__c`. */
  fields?: Readonly<Record<string, FxiaokeFieldSpec>>;
  /** Added to every call. */
  latencyMs?: number;
  now?: () => number;
  host?: string;
  port?: number;
}

/** A `LeadsObj` record as the simulator holds it. */
export interface FxiaokeRecord {
  dataId: string;
  /** `object_data` as sent, without `dataObjectApiName`. */
  fields: Readonly<Record<string, unknown>>;
  createdBy: string;
  createdAt: number;
  triggerApprovalFlow: boolean;
  triggerWorkFlow: boolean;
}

/** What the simulator saw and did, per call. No secret, token, name or phone number is kept. */
export interface FxiaokeRequestRecord {
  seq: number;
  endpoint: FxiaokeEndpoint | 'other';
  /** 0, the errorCode answered, or `fault` when a fault replaced the answer (HTML, dropped connection, raw body). */
  outcome: number | 'fault';
  fault?: FxiaokeFault['kind'];
  /** Whether the URL carried a `thirdTraceId`, as every call should. */
  thirdTraceId: boolean;
  /** Field names of `object_data` (create). */
  fieldNames?: string[];
  /** The record created (create) or found (query). */
  dataIds?: string[];
}

export interface SimulatedFxiaoke extends SimulatorControls<FxiaokeRequestRecord> {
  /** The base URL to configure as `baseUrl` (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly permanentCode: string;
  readonly corpId: string;
  readonly openUserIds: readonly string[];
  readonly records: readonly FxiaokeRecord[];
  /** Token calls answered with a token. */
  readonly tokensIssued: number;
  /** The records whose `field` holds exactly `value`. */
  recordsWhere(field: string, value: unknown): FxiaokeRecord[];
  /**
   * Faults for the next calls of their endpoint, in order; they win over setFault. An answer of
   * the gateway's (an error code, a raw body, accept-then-drop) waits for a call that passes the
   * token and identity checks; `http-error`, `drop-connection` and `delay` meet the next call.
   */
  queueFault(...faults: FxiaokeFault[]): void;
  /** A fault for every call of its endpoint until cleared with `setFault(endpoint, undefined)`. */
  setFault(endpoint: FxiaokeEndpoint, fault: FxiaokeFault | undefined): void;
  /** Every token issued so far now answers 20016, as after its 7200 s ran out. */
  expireTokens(): void;
  setLatency(ms: number): void;
}

export const SIMULATED_FXIAOKE_APP_ID = 'FSAID_131a0b7';
export const SIMULATED_FXIAOKE_APP_SECRET = 'simulated-fxiaoke-app-secret';
export const SIMULATED_FXIAOKE_PERMANENT_CODE = 'SIMULATED0PERMANENT0CODE';
export const SIMULATED_FXIAOKE_CORP_ID = 'FSCID_5E1A7ED0';
export const SIMULATED_FXIAOKE_OPEN_USER_ID = 'FSUID_0A1B2C3D4E5F60718293A4B5C6D7E8F9';
export const TOKEN_PATH = '/cgi/corpAccessToken/get/V2';
export const CREATE_PATH = '/cgi/crm/v2/data/create';
export const QUERY_PATH = '/cgi/crm/v2/data/query';
export const LEADS_OBJECT = 'LeadsObj';

/**
 * The preset `LeadsObj` fields a fresh corp has, as far as the connector uses them. The api names
 * are the preset ones (`name` 姓名 is the object's required main field); the lengths are the CRM's
 * usual limits for single-line (100) and multi-line (2000) text. The docs publish no describe of
 * LeadsObj to check them against: `POST /cgi/crm/v2/object/describe` on the real corp is the truth.
 */
export const DEFAULT_LEADS_FIELDS: Readonly<Record<string, FxiaokeFieldSpec>> = {
  name: { type: 'text', maxLength: 100, required: true },
  company: { type: 'text', maxLength: 100 },
  mobile: { type: 'phone_number' },
  tel: { type: 'phone_number' },
  email: { type: 'email', maxLength: 100 },
  job_title: { type: 'text', maxLength: 100 },
  address: { type: 'text', maxLength: 300 },
  remark: { type: 'long_text', maxLength: 2000 },
};

/** The custom field the README asks the user to create: a single-line text holding the Alimama lead id. */
export const LEAD_ID_FIELD = 'alimama_lead_id__c';

const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_QUERY_LIMIT = 100;
const QUERY_OPERATORS = new Set(['EQ', 'IN']);
const PHONE = /^\+?[0-9][0-9 -]{2,29}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HTML_502 = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

/** An `errorCode` answer before it is written. */
type Refusal = { errorCode: number; errorMessage: string };

interface IssuedToken {
  value: string;
  issuedAt: number;
  expiresAt: number;
  /** Records created with this token. */
  creates: number;
}

/** Starts the simulator on a free loopback port. `close()` ends every connection and pending delay. */
export async function startSimulatedFxiaoke(options: SimulatedFxiaokeOptions = {}): Promise<SimulatedFxiaoke> {
  return new Fxiaoke(options).listen(options);
}

class Fxiaoke extends HttpSimulator<FxiaokeRequestRecord> implements SimulatedFxiaoke {
  readonly appId: string;
  readonly appSecret: string;
  readonly permanentCode: string;
  readonly corpId: string;
  readonly openUserIds: readonly string[];
  tokensIssued = 0;
  private readonly held: FxiaokeRecord[] = [];
  /** Each endpoint's faults: a queued fault waits for a call of its own endpoint. */
  private readonly faults: Record<FxiaokeEndpoint, FaultQueue<FxiaokeFault>> = {
    token: new FaultQueue(),
    create: new FaultQueue(),
    query: new FaultQueue(),
  };
  private readonly tokens = new Map<string, IssuedToken>();
  private current: IssuedToken | undefined;
  private tokenCallTimes: number[] = [];
  private tokenCallsInFlight = 0;
  private readonly fields: Readonly<Record<string, FxiaokeFieldSpec>>;
  private readonly lifetimeMs: number;
  private latencyMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SimulatedFxiaokeOptions) {
    super('the simulated fxiaoke');
    this.appId = options.appId ?? SIMULATED_FXIAOKE_APP_ID;
    this.appSecret = options.appSecret ?? SIMULATED_FXIAOKE_APP_SECRET;
    this.permanentCode = options.permanentCode ?? SIMULATED_FXIAOKE_PERMANENT_CODE;
    this.corpId = options.corpId ?? SIMULATED_FXIAOKE_CORP_ID;
    this.openUserIds = options.openUserIds ?? [SIMULATED_FXIAOKE_OPEN_USER_ID];
    this.fields = options.fields ?? { ...DEFAULT_LEADS_FIELDS, [LEAD_ID_FIELD]: { type: 'text', maxLength: 100 } };
    this.lifetimeMs = (options.tokenLifetimeSeconds ?? 7200) * 1000;
    this.latencyMs = options.latencyMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  get records(): readonly FxiaokeRecord[] {
    return [...this.held];
  }

  recordsWhere(field: string, value: unknown): FxiaokeRecord[] {
    return this.held.filter((record) => record.fields[field] === value);
  }

  queueFault(...faults: FxiaokeFault[]): void {
    for (const fault of faults) this.faults[fault.on ?? 'create'].queue(fault);
  }

  setFault(endpoint: FxiaokeEndpoint, fault: FxiaokeFault | undefined): void {
    this.faults[endpoint].set(fault);
  }

  expireTokens(): void {
    this.tokens.clear();
    this.current = undefined;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const bodyText = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fxiaoke');
    const endpoint = endpointOf(url.pathname);
    const record: FxiaokeRequestRecord = {
      seq: this.log.nextSeq(),
      endpoint: endpoint ?? 'other',
      outcome: 0,
      thirdTraceId: (url.searchParams.get('thirdTraceId') ?? '') !== '',
    };
    this.log.add(record);
    const faults = endpoint === undefined ? undefined : this.faults[endpoint];
    // What stands in front of the gateway (a proxy's error page, a dropped connection, a slow
    // network) meets whichever call comes next; the gateway's own answers are taken below.
    const early = faults?.next(beforeGateway);
    if (early !== undefined) record.fault = early.kind;

    const respond = async (write: () => void): Promise<void> => {
      const wait = this.latencyMs + (early?.kind === 'delay' ? early.ms : 0) - (performance.now() - arrived);
      if (await this.http.hold(res, wait)) write();
    };
    const answer = (body: Record<string, unknown>): Promise<void> => {
      const code = body.errorCode;
      record.outcome = typeof code === 'number' ? code : 'fault';
      return respond(() => sendJson(res, 200, JSON_TYPE, { ...body, traceId: traceId(record.seq) }));
    };

    if (endpoint === undefined) {
      record.outcome = 'fault';
      return respond(() => send(res, 404, 'text/html', '<html><body><h1>404 Not Found</h1></body></html>'));
    }
    if (early?.kind === 'drop-connection') {
      record.outcome = 'fault';
      return respond(() => void req.socket.destroy());
    }
    if (early?.kind === 'http-error') {
      record.outcome = 'fault';
      return respond(() => send(res, early.status ?? 502, 'text/html', HTML_502));
    }
    if (req.method !== 'POST') return answer(refusal(32000, `request method ${req.method ?? ''} not supported, use POST`));
    if (bodyText.trim() === '') return answer(refusal(12004, 'POST的数据包为空'));
    const body = parseJson(bodyText);
    if (body === undefined) return answer(refusal(32000, '参数错误: the body is not JSON'));
    if (!isRecord(body)) return answer(refusal(32000, '参数错误: the body is not a JSON object'));

    if (endpoint === 'token') {
      const fault = early ?? faults?.next();
      if (fault !== undefined) record.fault = fault.kind;
      return this.token(body, fault, answer);
    }
    // Platform checks first: a call with a bad token is refused (20016 and the like) and takes no
    // queued fault, which waits for the next call that passes, so a fault is always answered.
    const refused = this.verifyCaller(body);
    if (refused !== undefined) return answer(refused);
    const fault = early ?? faults?.next();
    if (fault !== undefined) record.fault = fault.kind;
    const denied = faultRefusal(fault);
    if (denied !== undefined) return answer(denied);
    if (fault?.kind === 'raw-body') {
      record.outcome = 'fault';
      return respond(() => send(res, fault.status ?? 200, JSON_TYPE, fault.body));
    }
    if (endpoint === 'create') {
      const result = this.create(body, record);
      if (result.errorCode === 0) this.countCreate(String(body.corpAccessToken));
      if (fault?.kind === 'accept-then-drop' && result.errorCode === 0) {
        record.outcome = 'fault';
        return respond(() => void req.socket.destroy());
      }
      return answer(result);
    }
    return answer(this.query(body, record));
  }

  private async token(
    body: Record<string, unknown>,
    fault: FxiaokeFault | undefined,
    answer: (body: Record<string, unknown>) => Promise<void>,
  ): Promise<void> {
    const now = this.now();
    this.tokenCallTimes = this.tokenCallTimes.filter((at) => now - at < 60_000);
    this.tokenCallTimes.push(now);
    this.tokenCallsInFlight += 1;
    try {
      const limit = this.options.tokenCallsPerMinute ?? 10;
      if (this.tokenCallsInFlight > 1)
        return await answer(refusal(14001, '接口调用超过限制: concurrent corpAccessToken requests'));
      if (this.tokenCallTimes.length > limit)
        return await answer(refusal(14001, `接口调用超过限制: more than ${limit} calls a minute`));
      const denied = verifyApp(body, this) ?? faultRefusal(fault);
      if (denied !== undefined) return await answer(denied);
      const token = this.issue(now);
      this.tokensIssued += 1;
      return await answer({
        errorCode: 0,
        errorMessage: 'success',
        corpAccessToken: token.value,
        corpId: this.corpId,
        expiresIn: Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
      });
    } finally {
      this.tokenCallsInFlight -= 1;
    }
  }

  /** The same token within the first 6600/7200 of its life, then a new one (the old one lives on until it expires). */
  private issue(now: number): IssuedToken {
    const current = this.current;
    if (current !== undefined && now < current.issuedAt + (this.lifetimeMs * 6600) / 7200) return current;
    const token = {
      value: randomBytes(16).toString('hex').toUpperCase(),
      issuedAt: now,
      expiresAt: now + this.lifetimeMs,
      creates: 0,
    };
    this.tokens.set(token.value, token);
    this.current = token;
    return token;
  }

  /** One more record made with `value`; at `tokenLifetimeRecords` of them the token lapses. */
  private countCreate(value: string): void {
    const token = this.tokens.get(value);
    const limit = this.options.tokenLifetimeRecords;
    if (token === undefined || limit === undefined) return;
    token.creates += 1;
    if (token.creates < limit) return;
    this.tokens.delete(value);
    if (this.current === token) this.current = undefined;
  }

  /** The common parameters of every call after the token (legacy parameter passing). */
  private verifyCaller(body: Record<string, unknown>): Refusal | undefined {
    const { corpAccessToken, corpId, currentOpenUserId } = body;
    if (typeof corpAccessToken !== 'string' || corpAccessToken === '') return refusal(10013, '缺少参数corpAccessToken');
    const token = this.tokens.get(corpAccessToken);
    if (token === undefined || this.now() >= token.expiresAt) return refusal(20016, 'corpAccessToken不存在或者已经过期');
    if (typeof corpId !== 'string' || corpId === '') return refusal(10014, '缺少参数corpId');
    if (corpId !== this.corpId) return refusal(11015, '参数corpId不合法');
    if (typeof currentOpenUserId !== 'string' || currentOpenUserId === '') return refusal(10010, '缺少参数openUserId');
    if (!this.openUserIds.includes(currentOpenUserId)) return refusal(20012, 'openUserId未找到');
    return undefined;
  }

  private create(body: Record<string, unknown>, record: FxiaokeRequestRecord): Record<string, unknown> {
    const data = body.data;
    if (!isRecord(data)) return refusal(32000, '参数错误: data is required');
    const objectData = data.object_data;
    if (!isRecord(objectData)) return refusal(32000, '参数错误: data.object_data is required');
    record.fieldNames = Object.keys(objectData).filter((key) => key !== 'dataObjectApiName');
    if (objectData.dataObjectApiName !== LEADS_OBJECT)
      return refusal(32000, `参数错误: 对象 ${String(objectData.dataObjectApiName)} 不存在或未启用`);
    for (const flag of ['triggerApprovalFlow', 'triggerWorkFlow'] as const) {
      if (body[flag] !== undefined && typeof body[flag] !== 'boolean')
        return refusal(32000, `参数错误: ${flag} must be a boolean`);
    }
    if (data.optionInfo !== undefined && !isRecord(data.optionInfo))
      return refusal(32000, '参数错误: data.optionInfo must be an object');
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(objectData)) {
      if (key === 'dataObjectApiName') continue;
      const spec = this.fields[key];
      if (spec === undefined) return refusal(32000, `参数错误: 字段[${key}]不存在`);
      const problem = fieldProblem(key, spec, value);
      if (problem !== undefined) return refusal(32000, `参数错误: ${problem}`);
      fields[key] = value;
    }
    for (const [key, spec] of Object.entries(this.fields)) {
      if (spec.required === true && (fields[key] === undefined || fields[key] === null || fields[key] === ''))
        return refusal(32000, `参数错误: 必填字段[${key}]未填写`);
    }
    const dataId = randomBytes(12).toString('hex');
    this.held.push({
      dataId,
      fields,
      createdBy: String(body.currentOpenUserId),
      createdAt: this.now(),
      triggerApprovalFlow: body.triggerApprovalFlow !== false,
      triggerWorkFlow: body.triggerWorkFlow !== false,
    });
    record.dataIds = [dataId];
    return { errorCode: 0, errorMessage: 'OK', errorDescription: 'success', dataId };
  }

  private query(body: Record<string, unknown>, record: FxiaokeRequestRecord): Record<string, unknown> {
    const data = body.data;
    if (!isRecord(data)) return refusal(32000, '参数错误: data is required');
    if (data.dataObjectApiName !== LEADS_OBJECT)
      return refusal(32000, `参数错误: 对象 ${String(data.dataObjectApiName)} 不存在或未启用`);
    const info = data.search_query_info;
    if (!isRecord(info)) return refusal(32000, '参数错误: search_query_info is required');
    const { limit, offset, filters } = info;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT)
      return refusal(32000, `参数错误: limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % limit !== 0)
      return refusal(32000, '参数错误: offset must be a non-negative multiple of limit');
    if (offset > 10_000) return refusal(10013, 'offset 不能超过10000');
    if (!Array.isArray(filters)) return refusal(32000, '参数错误: filters is required');
    let matches = [...this.held];
    for (const filter of filters as unknown[]) {
      if (!isRecord(filter)) return refusal(32000, '参数错误: a filter is not an object');
      const { field_name: field, field_values: values, operator } = filter;
      if (typeof field !== 'string' || (this.fields[field] === undefined && field !== '_id'))
        return refusal(32000, `参数错误: 字段[${String(field)}]不存在`);
      if (typeof operator !== 'string' || !QUERY_OPERATORS.has(operator))
        return refusal(32000, `参数错误: operator ${String(operator)} is not supported here`);
      if (!Array.isArray(values) || values.length === 0 || (operator === 'EQ' && values.length !== 1))
        return refusal(32000, '参数错误: field_values must be a non-empty list (one value for EQ)');
      const wanted = new Set((values as unknown[]).map(String));
      matches = matches.filter((held) => {
        const value = field === '_id' ? held.dataId : held.fields[field];
        return (typeof value === 'string' || typeof value === 'number') && wanted.has(String(value));
      });
    }
    const page = matches.slice(offset, offset + limit);
    record.dataIds = page.map((held) => held.dataId);
    return {
      errorCode: 0,
      errorMessage: 'OK',
      errorDescription: 'success',
      data: {
        total: matches.length,
        dataList: page.map((held) => ({ ...held.fields, _id: held.dataId, create_time: held.createdAt })),
      },
    };
  }
}

function endpointOf(path: string): FxiaokeEndpoint | undefined {
  if (path === TOKEN_PATH) return 'token';
  if (path === CREATE_PATH) return 'create';
  if (path === QUERY_PATH) return 'query';
  return undefined;
}

/** The token call's own checks: every credential present, then each one right. */
function verifyApp(body: Record<string, unknown>, expected: Fxiaoke): Refusal | undefined {
  const { appId, appSecret, permanentCode } = body;
  if (typeof appId !== 'string' || appId === '') return refusal(10001, '缺少参数appId');
  if (typeof appSecret !== 'string' || appSecret === '') return refusal(10002, '缺少参数appSecret');
  if (typeof permanentCode !== 'string' || permanentCode === '') return refusal(10012, '缺少参数permanentCode');
  if (!sameSecret(appId, expected.appId) || !sameSecret(appSecret, expected.appSecret))
    return refusal(20006, 'appId或appSecret错误');
  if (!sameSecret(permanentCode, expected.permanentCode)) return refusal(20015, '永久授权码错误');
  return undefined;
}

/** Faults that happen before the gateway reads the call: they meet a call whatever its token. */
function beforeGateway(fault: FxiaokeFault): boolean {
  return fault.kind === 'http-error' || fault.kind === 'drop-connection' || fault.kind === 'delay';
}

function faultRefusal(fault: FxiaokeFault | undefined): Refusal | undefined {
  switch (fault?.kind) {
    case 'rate-limit': {
      const code = fault.code ?? 30004;
      return refusal(code, code === 30002 ? '当天访问频次超限' : code === 14001 ? '接口调用超过限制' : '秒频次超限');
    }
    case 'system-busy':
      return refusal(-1, '系统繁忙');
    case 'service-error':
      return refusal(50009, '服务异常,如超时');
    case 'token-expired':
      return refusal(20016, 'corpAccessToken不存在或者已经过期');
    case 'vendor-error':
      return refusal(fault.code, fault.message);
    default:
      return undefined;
  }
}

/** What is wrong with `value` for a field of `spec`, or undefined. */
function fieldProblem(key: string, spec: FxiaokeFieldSpec, value: unknown): string | undefined {
  if (value === null) return undefined;
  if (spec.type === 'date_time') {
    return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : `字段[${key}]须为毫秒时间戳`;
  }
  if (typeof value !== 'string') return `字段[${key}]须为文本`;
  if (spec.maxLength !== undefined && [...value].length > spec.maxLength) return `字段[${key}]长度超过${spec.maxLength}`;
  if (spec.type === 'phone_number' && value !== '' && !PHONE.test(value)) return `字段[${key}]不是合法的电话号码`;
  if (spec.type === 'email' && value !== '' && !EMAIL.test(value)) return `字段[${key}]不是合法的邮箱`;
  return undefined;
}

function refusal(errorCode: number, errorMessage: string): Refusal {
  return { errorCode, errorMessage };
}

function traceId(seq: number): string {
  return `E-O.sim.${(1_000_000 + seq).toString(36)}`;
}
