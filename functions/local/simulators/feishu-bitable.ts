import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../../shared/domain/is-record';
import { FaultQueue, HttpSimulator, parseJson, readBody, send, sendJson, type SimulatorControls } from './http-server';
import { sameSecret } from './same-secret';

/**
 * A simulated Feishu (飞书) open platform holding Bitable (多维表格) bases: a real HTTP server that
 * issues tenant access tokens and creates records the way the real one does, strict about what a
 * connector can get wrong. Product code: `dev --config` can point a connector's `baseUrl` at it,
 * and the connector tests prove the connector against it.
 *
 * Where each answer comes from (Feishu open platform documentation):
 * - Token: 自建应用获取 tenant_access_token, POST /open-apis/auth/v3/tenant_access_token/internal
 *   with {"app_id","app_secret"} → {"code":0,"msg":"ok","tenant_access_token":"t-…","expire":7200};
 *   at most 2 hours; with ≥ 30 minutes left the same token comes back, with less a new one
 *   (and the old one stays valid until it expires).
 *   https://open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal
 * - Record: 新增记录 (Create a record), POST /open-apis/bitable/v1/apps/:app_token/tables/:table_id/records
 *   with `Authorization: Bearer <tenant_access_token>`, query `client_token` (a standard uuidv4, for
 *   idempotent creation), body {"fields":{…}} → {"code":0,"data":{"record":{"fields","id","record_id"}},"msg":"success"},
 *   and its error table (HTTP status, code): 1254000/1254001 bad body, 1254037 (400) client token not
 *   a uuidv4, 1254040/1254041 base/table not found, 1254045 FieldNameNotFound, 1254060–1254072 a
 *   value the column cannot take, 1254103 over 20,000 records, 1254130 TooLargeCell, 1254291 write
 *   conflict (no concurrent writes to one table), 1255006 (400) client token conflict, 1255040 (504)
 *   timeout, 1254302 (403) permission denied. Rate limit 50 per second.
 *   https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/bitable-v1/app-table-record/create
 * - Generic codes: 99991661 no token, 99991663 tenant token invalid or expired, 99991671 token not
 *   starting with t-/u-, 99991672 scope missing, 99991400 request trigger frequency limit;
 *   10003 invalid parameter.  https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code
 * - Rate limits: HTTP 429 (400 on older APIs) with `x-ogw-ratelimit-limit` / `x-ogw-ratelimit-reset`
 *   and {"code":99991400,"msg":"request trigger frequency limit"}.
 *   https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
 * - No access to the base (the app not added as a collaborator, 「添加文档应用」): code 91403
 *   "Forbidden"; the create page says the call then fails with HTTP 403 or 400.
 *
 * The simulator's own choices where the documentation is silent, each a strict reading:
 * - A repeated `client_token` with the same fields answers code 0 with the record the first call
 *   created (no second record); the same token with other fields is 1255006.
 * - `client_token` must be uuidv4-shaped (version nibble 4, variant 8–b), as the docs say; a
 *   name-based v5 UUID is refused with 1254037.
 * - A wrong app secret is 10014 "app secret invalid" (what the platform answers in practice; the
 *   generic table lists 10015 "wrong app secret"), an unknown app id 10003; HTTP 400 for both.
 * - A phone column takes 1–64 characters of digits, spaces and `+-()`: a ciphertext is refused.
 * - A record call's token is checked before anything Feishu answers about the call (the pages list
 *   no order of checks; the rate limit, the scope and the base belong to the app the token names).
 */

/** A column type the simulator checks values against (the create page's list of field types). */
export type BitableFieldType = 'text' | 'number' | 'date' | 'phone' | 'single-select' | 'multi-select' | 'checkbox' | 'url';

export interface SimulatedTable {
  appToken: string;
  tableId: string;
  /** Column name → type; any other field name in a request is 1254045. */
  fields: Readonly<Record<string, BitableFieldType>>;
}

/** A misbehaviour for one call (queueFault) or every call (setFault). */
export type BitableFault =
  /** 99991400 with the rate-limit headers; HTTP 429 unless `status` (older APIs answer 400). */
  | { kind: 'rate-limit'; resetSeconds?: number; status?: 429 | 400 }
  /** 99991663 for this call, though its token is valid (one the platform dropped before its time). */
  | { kind: 'token-expired' }
  /** 1254291: another write to the table was in progress. */
  | { kind: 'write-conflict' }
  /** A 5xx from the gateway in front (an HTML page), default 502. */
  | { kind: 'server-error'; status?: number }
  /** Any Feishu error body: `{"code","msg"}` with this HTTP status (default 400). */
  | { kind: 'vendor-error'; code: number; msg: string; status?: number }
  /** Create the record as asked, then close the connection without answering (an answer lost on the way). */
  | { kind: 'accept-then-drop' }
  /** Close the connection without answering or creating anything. */
  | { kind: 'drop-connection' }
  /** Answer normally, this much later. */
  | { kind: 'delay'; ms: number };

export interface SimulatedBitableOptions {
  appId?: string;
  appSecret?: string;
  /** Seconds a token lives (the real platform: 7200). */
  tokenLifetimeSeconds?: number;
  /** A token with at least this many seconds left is handed out again (the real platform: 1800). */
  tokenReuseSeconds?: number;
  /** The bases and tables the app can reach; default one table with {@link DEFAULT_SIMULATED_FIELDS}. */
  tables?: readonly SimulatedTable[];
  /** Whether the app was added to the base as a collaborator (otherwise 91403). Default true. */
  collaborator?: boolean;
  /** Whether the app holds a record-create scope (base:record:create or bitable:app; otherwise 99991672). Default true. */
  scopeGranted?: boolean;
  /** Record creations allowed per second before 99991400 (the real platform: 50). Default unlimited. */
  recordsPerSecond?: number;
  /** Answer 1254291 to a write while another write to the same table is in progress (needs latency to matter). */
  rejectConcurrentWrites?: boolean;
  /** Longest text cell (1254130 above it). Default 100,000 characters. */
  maxTextLength?: number;
  /** Records a table holds at most (1254103 beyond). Default 20,000, like the real one. */
  maxRecordsPerTable?: number;
  /** Added to every call. */
  latencyMs?: number;
  now?: () => number;
  host?: string;
  port?: number;
}

/** A record as the simulated base holds it. */
export interface HeldRecord {
  recordId: string;
  appToken: string;
  tableId: string;
  fields: Record<string, unknown>;
  clientToken?: string;
  createdTime: number;
}

/** What the simulator saw and did, per call. No secret, token or field value is kept. */
export interface BitableRequestRecord {
  seq: number;
  kind: 'token' | 'record' | 'other';
  status: number;
  /** The Feishu `code` answered, or `fault` when the connection was closed or a gateway page answered. */
  outcome: number | 'fault';
  fault?: BitableFault['kind'];
  /** A record call's `client_token` (an idempotency key, not a secret), whatever the call was answered. */
  clientToken?: string;
  /** Field names sent (not their values). */
  fieldNames?: string[];
  /** The record created or returned again. */
  recordId?: string;
  /** True when a repeated client_token returned an earlier record. */
  deduplicated?: boolean;
}

export interface SimulatedBitable extends SimulatorControls<BitableRequestRecord> {
  /** The `baseUrl` to configure (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly tables: readonly SimulatedTable[];
  /** Records held, in creation order; one table's when given. */
  records(tableId?: string): readonly HeldRecord[];
  /** Calls to the token endpoint, answered or not. */
  readonly tokenRequests: number;
  /** Tokens issued (a reused token counts once). */
  readonly tokensIssued: number;
  /**
   * Faults for the next record calls, in order; they win over setFault. Feishu's own answers
   * (rate-limit, token-expired, write-conflict, vendor-error, accept-then-drop) wait for a call
   * that passes the token check; a gateway's `server-error`, `drop-connection` and `delay` meet
   * the next call whatever its token.
   */
  queueFault(...faults: BitableFault[]): void;
  setFault(fault: BitableFault | undefined): void;
  /** Faults for the next token calls (only `rate-limit`, `server-error`, `vendor-error`, `drop-connection`, `delay` apply). */
  queueTokenFault(...faults: BitableFault[]): void;
  /** Every token issued so far stops working now (99991663), as at the end of its lifetime. */
  expireTokens(): void;
  setCollaborator(collaborator: boolean): void;
  setLatency(ms: number): void;
}

export const SIMULATED_FEISHU_APP_ID = 'cli_a1b2c3d4e5f60718';
export const SIMULATED_FEISHU_APP_SECRET = 'simulated-feishu-app-secret';
export const SIMULATED_BITABLE_APP_TOKEN = 'bascnSimulatedBase0000001';
export const SIMULATED_BITABLE_TABLE_ID = 'tblSimulated0001';

/**
 * The columns of the default simulated table: what the README tells a user to create for the
 * connector's default mapping (the primary column holds the lead id).
 */
export const DEFAULT_SIMULATED_FIELDS: Readonly<Record<string, BitableFieldType>> = {
  线索ID: 'text',
  姓名: 'text',
  手机号: 'phone',
  留资时间: 'date',
  店铺: 'text',
  落地页: 'text',
  地区: 'text',
  来源: 'text',
  附加信息: 'text',
};

export const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const RECORDS_PATH = /^\/open-apis\/bitable\/v1\/apps\/([^/]+)\/tables\/([^/]+)\/records$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const PHONE = /^[0-9+\-() ]{1,64}$/;
const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';

interface IssuedToken {
  value: string;
  expiresAt: number;
}

/** A Feishu error answer before it is written. */
interface Refusal {
  status: number;
  code: number;
  msg: string;
  detail?: string;
  headers?: Record<string, string>;
}

/** Starts the simulator on a free loopback port; `close()` ends open connections and pending delays. */
export async function startSimulatedBitable(options: SimulatedBitableOptions = {}): Promise<SimulatedBitable> {
  return new Bitable(options).listen(options);
}

class Bitable extends HttpSimulator<BitableRequestRecord> implements SimulatedBitable {
  readonly appId: string;
  readonly appSecret: string;
  readonly tables: readonly SimulatedTable[];
  tokenRequests = 0;
  tokensIssued = 0;
  private readonly held: HeldRecord[] = [];
  /** `${appToken}/${tableId}/${clientToken}` → the record it created and the fields it was asked for. */
  private readonly byClientToken = new Map<string, { record: HeldRecord; fieldsJson: string }>();
  private readonly tokens: IssuedToken[] = [];
  private readonly faults = new FaultQueue<BitableFault>();
  /** Token calls have queued faults only. */
  private readonly tokenFaults = new FaultQueue<BitableFault>();
  private collaborator: boolean;
  private latencyMs: number;
  private readonly busyTables = new Set<string>();
  private window = { second: 0, count: 0 };
  private readonly now: () => number;

  constructor(private readonly options: SimulatedBitableOptions) {
    super('the simulated Bitable');
    this.appId = options.appId ?? SIMULATED_FEISHU_APP_ID;
    this.appSecret = options.appSecret ?? SIMULATED_FEISHU_APP_SECRET;
    this.tables = options.tables ?? [
      { appToken: SIMULATED_BITABLE_APP_TOKEN, tableId: SIMULATED_BITABLE_TABLE_ID, fields: DEFAULT_SIMULATED_FIELDS },
    ];
    this.collaborator = options.collaborator ?? true;
    this.latencyMs = options.latencyMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  records(tableId?: string): readonly HeldRecord[] {
    return this.held.filter((record) => tableId === undefined || record.tableId === tableId);
  }

  queueFault(...faults: BitableFault[]): void {
    this.faults.queue(...faults);
  }

  setFault(fault: BitableFault | undefined): void {
    this.faults.set(fault);
  }

  queueTokenFault(...faults: BitableFault[]): void {
    this.tokenFaults.queue(...faults);
  }

  expireTokens(): void {
    for (const token of this.tokens) token.expiresAt = Math.min(token.expiresAt, this.now());
  }

  setCollaborator(collaborator: boolean): void {
    this.collaborator = collaborator;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bodyText = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://feishu');
    const recordPath = RECORDS_PATH.exec(url.pathname);
    const kind: BitableRequestRecord['kind'] = url.pathname === TOKEN_PATH ? 'token' : recordPath !== null ? 'record' : 'other';
    const record: BitableRequestRecord = { seq: this.log.nextSeq(), kind, status: 200, outcome: 0 };
    this.log.add(record);
    if (kind === 'token') this.tokenRequests += 1;
    const clientToken = kind === 'record' ? (url.searchParams.get('client_token') ?? undefined) : undefined;
    if (clientToken !== undefined) record.clientToken = clientToken;
    // What stands in front of the open platform (the gateway's 5xx page, a dropped connection, a
    // slow network) meets whichever call comes next, whatever its token, as in the fxiaoke
    // simulator; Feishu's own answers are taken below, once the call passed its token check.
    const early = kind === 'token' ? this.tokenFaults.next() : kind === 'record' ? this.faults.next(beforePlatform) : undefined;
    if (early !== undefined) record.fault = early.kind;
    const wait = this.latencyMs + (early?.kind === 'delay' ? early.ms : 0);
    if (!(await this.http.hold(res, wait))) return;

    if (early?.kind === 'drop-connection') {
      record.outcome = 'fault';
      return void req.socket.destroy();
    }
    if (early?.kind === 'server-error') {
      record.outcome = 'fault';
      record.status = early.status ?? 502;
      return send(res, record.status, 'text/html', HTML_502);
    }
    const answer = (refusal: Refusal): void => {
      record.status = refusal.status;
      record.outcome = refusal.code;
      sendJson(res, refusal.status, JSON_TYPE, errorBody(refusal), refusal.headers);
    };
    // A token call has no token to check: its faults (queueTokenFault) are all taken above.
    const tokenFaulted = kind === 'token' ? faultRefusal(early) : undefined;
    if (tokenFaulted !== undefined) return answer(tokenFaulted);

    if (kind === 'other' || req.method !== 'POST') {
      return answer({ status: 404, code: 99991201, msg: 'resource not find' });
    }
    if (kind === 'token') {
      const issued = this.issueToken(bodyText);
      if ('code' in issued) return answer(issued);
      return sendJson(res, 200, JSON_TYPE, { code: 0, msg: 'ok', tenant_access_token: issued.value, expire: issued.expire });
    }

    // The token is checked first: a call refused for it (99991661/99991671/99991663) learns
    // nothing else and takes no queued fault, which waits for the next call that passes, so a test
    // that lets the tokens lapse and then queues faults knows each fault was answered.
    const unauthenticated = this.authenticate(req.headers.authorization);
    if (unauthenticated !== undefined) return answer(unauthenticated);
    const fault = early ?? this.faults.next();
    if (fault !== undefined) record.fault = fault.kind;
    const faulted = faultRefusal(fault);
    if (faulted !== undefined) return answer(faulted);

    const [, appToken = '', tableId = ''] = recordPath ?? [];
    const refusal =
      this.rateLimit() ??
      (this.options.scopeGranted === false
        ? {
            status: 400,
            code: 99991672,
            msg: 'Access denied. One of the following scopes is required: [base:record:create, bitable:app]',
          }
        : undefined);
    if (refusal !== undefined) return answer(refusal);
    const created = await this.createRecord(
      decodeURIComponent(appToken),
      decodeURIComponent(tableId),
      url,
      req,
      bodyText,
      record,
      fault,
    );
    if (created === 'dropped') return void req.socket.destroy();
    if ('code' in created) return answer(created);
    record.recordId = created.recordId;
    return sendJson(res, 200, JSON_TYPE, {
      code: 0,
      data: { record: { fields: created.fields, id: created.recordId, record_id: created.recordId } },
      msg: 'success',
    });
  }

  /** The token endpoint: a token for the right app id and secret, the same one while it has long to live. */
  private issueToken(bodyText: string): { value: string; expire: number } | Refusal {
    const invalid: Refusal = { status: 400, code: 10003, msg: 'invalid param' };
    const body = parseJson(bodyText);
    if (!isRecord(body) || typeof body.app_id !== 'string' || typeof body.app_secret !== 'string') return invalid;
    if (body.app_id !== this.appId) return invalid;
    if (!sameSecret(body.app_secret, this.appSecret)) return { status: 400, code: 10014, msg: 'app secret invalid' };
    const now = this.now();
    const lifetimeMs = (this.options.tokenLifetimeSeconds ?? 7200) * 1000;
    const reuseMs = (this.options.tokenReuseSeconds ?? 1800) * 1000;
    const newest = this.tokens[this.tokens.length - 1];
    if (newest !== undefined && newest.expiresAt - now >= reuseMs && newest.expiresAt > now) {
      return { value: newest.value, expire: Math.floor((newest.expiresAt - now) / 1000) };
    }
    const token = { value: `t-${randomBytes(20).toString('hex')}`, expiresAt: now + lifetimeMs };
    this.tokens.push(token);
    this.tokensIssued += 1;
    return { value: token.value, expire: Math.floor(lifetimeMs / 1000) };
  }

  private authenticate(header: string | undefined): Refusal | undefined {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (match === null)
      return {
        status: 400,
        code: 99991661,
        msg: 'Missing access token for authorization. Please make a request with token attached.',
      };
    const value = match[1] ?? '';
    if (!/^[tu]-/.test(value)) return { status: 400, code: 99991671, msg: 'Invalid token: must start with t-/u-' };
    const token = this.tokens.find((candidate) => candidate.value === value);
    if (token === undefined || token.expiresAt <= this.now()) {
      return {
        status: 400,
        code: 99991663,
        msg: 'Invalid access token for authorization. Please make a request with token attached.',
      };
    }
    return undefined;
  }

  private rateLimit(): Refusal | undefined {
    const limit = this.options.recordsPerSecond;
    if (limit === undefined) return undefined;
    const second = Math.floor(this.now() / 1000);
    if (this.window.second !== second) this.window = { second, count: 0 };
    this.window.count += 1;
    return this.window.count > limit ? rateLimited(limit, 1, 429) : undefined;
  }

  private async createRecord(
    appToken: string,
    tableId: string,
    url: URL,
    req: IncomingMessage,
    bodyText: string,
    log: BitableRequestRecord,
    fault: BitableFault | undefined,
  ): Promise<HeldRecord | Refusal | 'dropped'> {
    if (!this.collaborator) return { status: 403, code: 91403, msg: 'Forbidden' };
    const clientToken = url.searchParams.get('client_token') ?? undefined;
    if (clientToken !== undefined && !UUID_V4.test(clientToken)) {
      return { status: 400, code: 1254037, msg: 'Invalid client token, make sure that it complies with the specification.' };
    }
    if (!this.tables.some((table) => table.appToken === appToken))
      return { status: 200, code: 1254040, msg: 'BaseTokenNotFound' };
    const table = this.tables.find((candidate) => candidate.appToken === appToken && candidate.tableId === tableId);
    if (table === undefined) return { status: 200, code: 1254041, msg: 'TableIdNotFound' };
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return { status: 200, code: 1254000, msg: 'WrongRequestJson' };
    }
    const body = parseJson(bodyText);
    if (body === undefined) return { status: 200, code: 1254000, msg: 'WrongRequestJson' };
    if (!isRecord(body) || !isRecord(body.fields)) return { status: 200, code: 1254001, msg: 'WrongRequestBody' };
    const fields = body.fields;
    log.fieldNames = Object.keys(fields);
    const invalid = this.checkFields(table, fields);
    if (invalid !== undefined) return invalid;

    const tableKey = `${appToken}/${tableId}`;
    if (clientToken !== undefined) {
      const earlier = this.byClientToken.get(`${tableKey}/${clientToken}`);
      if (earlier !== undefined) {
        if (earlier.fieldsJson !== canonicalJson(fields)) {
          return { status: 400, code: 1255006, msg: 'Client token conflict, please generate a new client token and try again.' };
        }
        log.deduplicated = true;
        return earlier.record;
      }
    }
    if (this.busyTables.has(tableKey) && this.options.rejectConcurrentWrites === true) {
      return { status: 200, code: 1254291, msg: 'Write conflict' };
    }
    if (this.records(tableId).length >= (this.options.maxRecordsPerTable ?? 20_000)) {
      return { status: 200, code: 1254103, msg: 'RecordExceedLimit' };
    }
    // The write takes the latency a second time, so concurrent writes overlap when latency is set.
    this.busyTables.add(tableKey);
    try {
      await this.http.pause(this.latencyMs);
    } finally {
      this.busyTables.delete(tableKey);
    }
    if (this.http.closed) return 'dropped';
    const created: HeldRecord = { recordId: recordId(), appToken, tableId, fields, createdTime: this.now() };
    if (clientToken !== undefined) {
      created.clientToken = clientToken;
      this.byClientToken.set(`${tableKey}/${clientToken}`, { record: created, fieldsJson: canonicalJson(fields) });
    }
    this.held.push(created);
    return fault?.kind === 'accept-then-drop' ? 'dropped' : created;
  }

  /** Every field must name a column and fit its type; the first misfit is answered. */
  private checkFields(table: SimulatedTable, fields: Record<string, unknown>): Refusal | undefined {
    const maxText = this.options.maxTextLength ?? 100_000;
    for (const [name, value] of Object.entries(fields)) {
      const type = table.fields[name];
      if (type === undefined)
        return { status: 200, code: 1254045, msg: 'FieldNameNotFound', detail: `field name not found: ${name}` };
      if (value === null) continue; // null clears a cell
      const misfit = valueMisfit(type, value, maxText);
      if (misfit !== undefined) return { ...misfit, detail: `${misfit.msg}: ${name}` };
    }
    return undefined;
  }
}

/** The conversion failure the create page lists for a value its column cannot take. */
function valueMisfit(type: BitableFieldType, value: unknown, maxText: number): Refusal | undefined {
  const fail = (code: number, msg: string): Refusal => ({ status: 200, code, msg });
  switch (type) {
    case 'text':
      if (typeof value !== 'string') return fail(1254060, 'TextFieldConvFail');
      return value.length > maxText ? fail(1254130, 'TooLargeCell') : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : fail(1254061, 'NumberFieldConvFail');
    case 'single-select':
      return typeof value === 'string' && value !== '' ? undefined : fail(1254062, 'SingleSelectFieldConvFail');
    case 'multi-select':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? undefined
        : fail(1254063, 'MultiSelectFieldConvFail');
    case 'date':
      // Epoch milliseconds; a date string or an ISO time is refused.
      return typeof value === 'number' && Number.isInteger(value) ? undefined : fail(1254064, 'DatetimeFieldConvFail');
    case 'checkbox':
      return typeof value === 'boolean' ? undefined : fail(1254065, 'CheckboxFieldConvFail');
    case 'url':
      return isRecord(value) && typeof value.link === 'string' && (value.text === undefined || typeof value.text === 'string')
        ? undefined
        : fail(1254068, 'URLFieldConvFail');
    case 'phone':
      return typeof value === 'string' && PHONE.test(value)
        ? undefined
        : fail(1254072, 'Failed to convert phone field, please make sure it is correct.');
  }
}

/** Faults of what stands before the open platform: they meet a call whatever its token. */
function beforePlatform(fault: BitableFault): boolean {
  return fault.kind === 'server-error' || fault.kind === 'drop-connection' || fault.kind === 'delay';
}

function faultRefusal(fault: BitableFault | undefined): Refusal | undefined {
  switch (fault?.kind) {
    case 'rate-limit':
      return rateLimited(50, fault.resetSeconds ?? 1, fault.status ?? 429);
    case 'token-expired':
      return {
        status: 400,
        code: 99991663,
        msg: 'Invalid access token for authorization. Please make a request with token attached.',
      };
    case 'write-conflict':
      return { status: 200, code: 1254291, msg: 'Write conflict' };
    case 'vendor-error':
      return { status: fault.status ?? 400, code: fault.code, msg: fault.msg };
    default:
      return undefined;
  }
}

function rateLimited(limit: number, resetSeconds: number, status: number): Refusal {
  return {
    status,
    code: 99991400,
    msg: 'request trigger frequency limit',
    headers: { 'x-ogw-ratelimit-limit': String(limit), 'x-ogw-ratelimit-reset': String(resetSeconds) },
  };
}

function errorBody(refusal: Refusal): Record<string, unknown> {
  const logId = randomBytes(16).toString('hex').toUpperCase();
  return {
    code: refusal.code,
    msg: refusal.msg,
    error: { log_id: logId, ...(refusal.detail ? { message: refusal.detail } : {}) },
  };
}

function recordId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return `rec${[...randomBytes(10)].map((byte) => alphabet[byte % alphabet.length]).join('')}`;
}

/** JSON with object keys sorted, so a resend with the same fields in another order is still the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
