import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLeadId, type LeadId } from '../../shared/domain/ids';
import { isRecord } from '../../shared/domain/is-record';
import { SIGN_METHODS, type SignMethod } from '../../shared/domain/settings';
import { parseJsonKeepingBigInts } from '../../shared/taobao/json';
import { signTopRequest } from '../../shared/taobao/sign';
import { type SampleLead } from './sample-leads';
import { formatTopTimestamp, parseTopTimestamp } from '../../shared/taobao/timestamp';
import { sameSecret } from './same-secret';
import { FaultQueue, HttpSimulator, readBody, send, type SimulatorControls } from './http-server';

export { generateLeads, type GenerateLeadsOptions, type SampleLead } from './sample-leads';

/**
 * A simulated Alimama TOP gateway: a real HTTP server that checks requests the way the real
 * one does (app key, session, signature for all three sign methods, timestamp skew, required
 * arguments) and serves `taobao.mama.crm.lead.list` from an in-memory list, newest first.
 * Faults can be queued per call to rehearse every failure of DESIGN §1. Product code: the
 * local runner's demo uses it, and the integration tests prove the client against it.
 */

/** A misbehaviour for one call (queueFault) or for every call (setFault). */
export type GatewayFault =
  /** Code 7 with "This ban will last for N more seconds". */
  | { kind: 'rate-limit'; banSeconds: number }
  /** Code 15 with an `isp.*` sub-code: the platform's own trouble. */
  | { kind: 'isp-error'; subCode?: string; subMsg?: string }
  /** Code 27 for this call, whatever the session. */
  | { kind: 'session-expired' }
  /** Any `error_response`, e.g. code 11 or an `isv.*` sub-code. */
  | { kind: 'top-error'; code: number; msg: string; subCode?: string; subMsg?: string }
  /** An HTML error page from a proxy in front of the gateway (default 502). */
  | { kind: 'html'; status?: number }
  /** A 200 success body with `result_ok: false`. */
  | { kind: 'result-not-ok'; resultErrorCode?: string; errorMsg?: string }
  /** Answer normally, this much later. */
  | { kind: 'delay'; ms: number }
  /** Close the connection without answering. */
  | { kind: 'drop-connection' }
  /** Contract violation: the page in ascending id order. */
  | { kind: 'ascending-page' }
  /** Contract violation: ignore `offset` and serve the newest page (ids above the offset). */
  | { kind: 'ids-above-offset' }
  /** After verification, answer exactly this body (200 unless `status`). */
  | { kind: 'raw-body'; body: string; status?: number };

export interface SimulatedGatewayOptions {
  appKey?: string;
  appSecret?: string;
  /** The merchant session the gateway accepts. */
  sessionKey?: string;
  leads?: readonly SampleLead[];
  /** Whether `offset=X` returns X again. Default `exclusive`. */
  offsetMode?: 'exclusive' | 'inclusive';
  /** List shape; default `wrapped` (`{"result": [...]}`), or `bare` when the call asks for `simplify=true`. */
  listShape?: 'wrapped' | 'bare';
  /** Added to every call (benchmarks use 50 ms). */
  latencyMs?: number;
  /** Allowed timestamp skew. Default 10 minutes, like the real gateway. */
  maxSkewMs?: number;
  now?: () => number;
  host?: string;
  port?: number;
}

/** What the gateway saw and did, per call. No session or signature is kept. */
export interface GatewayRequestRecord {
  seq: number;
  method?: string;
  appKey?: string;
  signMethod?: string;
  simplify: boolean;
  /** `lead_external_query_dto` exactly as received. */
  dto?: string;
  /** `ok`, the TOP error code returned, or `fault` when a fault replaced the answer (HTML, dropped connection, raw body, `result_ok: false`, wrong path). */
  outcome: 'ok' | 'fault' | number;
  fault?: GatewayFault['kind'];
  /** Ids served, in the order served. */
  servedIds?: LeadId[];
}

export interface SimulatedGateway extends SimulatorControls<GatewayRequestRecord> {
  /** The gateway URL to configure (`http://127.0.0.1:<port>/router/rest`). */
  readonly url: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly sessionKey: string;
  /** Every lead held, newest (highest id) first. */
  readonly leads: readonly SampleLead[];
  /** Adds leads (a lead with an id already held replaces it). */
  addLeads(leads: readonly SampleLead[]): void;
  /** Faults for the next calls, one per call, in order; they win over setFault. */
  queueFault(...faults: GatewayFault[]): void;
  /** A fault for every call until cleared with `undefined`. */
  setFault(fault: GatewayFault | undefined): void;
  /** An expired session is answered with code 27, as after the merchant's authorization lapses. */
  setSessionExpired(expired: boolean): void;
  setLatency(ms: number): void;
}

export const SIMULATED_APP_KEY = '12345678';
export const SIMULATED_APP_SECRET = 'simulated-app-secret';
export const SIMULATED_SESSION_KEY = 'simulated-session-key';
export const SIMULATED_GATEWAY_PATH = '/router/rest';

const LEAD_LIST_METHOD = 'taobao.mama.crm.lead.list';
const MAX_PAGE_SIZE = 100;
const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n';

interface HeldLead {
  id: bigint;
  lead: SampleLead;
}

/** A TOP `error_response`, before it is written. */
interface TopRefusal {
  code: number;
  msg: string;
  subCode?: string;
  subMsg?: string;
}

/**
 * Starts the gateway on a free loopback port. Resolves once it listens; `close()` ends every
 * open connection and pending delay, so a test never hangs on it.
 */
export async function startSimulatedGateway(options: SimulatedGatewayOptions = {}): Promise<SimulatedGateway> {
  return new Gateway(options).listen(options);
}

class Gateway extends HttpSimulator<GatewayRequestRecord> implements SimulatedGateway {
  readonly appKey: string;
  readonly appSecret: string;
  readonly sessionKey: string;
  private held: HeldLead[] = []; // highest id first
  private readonly faults = new FaultQueue<GatewayFault>();
  private sessionExpired = false;
  private latencyMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SimulatedGatewayOptions) {
    super('the simulated gateway', SIMULATED_GATEWAY_PATH);
    this.appKey = options.appKey ?? SIMULATED_APP_KEY;
    this.appSecret = options.appSecret ?? SIMULATED_APP_SECRET;
    this.sessionKey = options.sessionKey ?? SIMULATED_SESSION_KEY;
    this.latencyMs = options.latencyMs ?? 0;
    this.now = options.now ?? Date.now;
    this.addLeads(options.leads ?? []);
  }

  get leads(): readonly SampleLead[] {
    return this.held.map((entry) => entry.lead);
  }

  queueFault(...faults: GatewayFault[]): void {
    this.faults.queue(...faults);
  }

  setFault(fault: GatewayFault | undefined): void {
    this.faults.set(fault);
  }

  setSessionExpired(expired: boolean): void {
    this.sessionExpired = expired;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  addLeads(leads: readonly SampleLead[]): void {
    const byId = new Map(this.held.map((entry) => [entry.id, entry]));
    for (const lead of leads) {
      if (!isLeadId(lead.id)) throw new RangeError(`sample lead id must be a decimal string, got ${JSON.stringify(lead.id)}`);
      byId.set(BigInt(lead.id), { id: BigInt(lead.id), lead });
    }
    this.held = [...byId.values()].sort((a, b) => (a.id > b.id ? -1 : a.id < b.id ? 1 : 0));
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const bodyText = await readBody(req);
    const record: GatewayRequestRecord = { seq: this.log.nextSeq(), simplify: false, outcome: 'ok' };
    const fault = this.faults.next();
    if (fault !== undefined) record.fault = fault.kind;
    this.log.add(record);

    // The configured latency is the whole call as the client sees it: the time spent building
    // the answer is taken out of the wait, not added to it.
    const respond = async (write: () => void): Promise<void> => {
      const wait = this.latencyMs + (fault?.kind === 'delay' ? fault.ms : 0) - (performance.now() - arrived);
      if (await this.http.hold(res, wait)) write();
    };

    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== SIMULATED_GATEWAY_PATH) {
      record.outcome = 'fault';
      return respond(() => send(res, 404, 'text/plain', 'Not Found'));
    }
    if (fault?.kind === 'drop-connection') {
      record.outcome = 'fault';
      return respond(() => void req.socket.destroy());
    }
    if (fault?.kind === 'html') {
      record.outcome = 'fault';
      return respond(() => send(res, fault.status ?? 502, 'text/html', HTML_502));
    }

    const params = requestParams(req, url, bodyText);
    record.simplify = params.simplify === 'true';
    if (params.method !== undefined) record.method = params.method;
    if (params.app_key !== undefined) record.appKey = params.app_key;
    if (params.sign_method !== undefined) record.signMethod = params.sign_method;
    if (params.lead_external_query_dto !== undefined) record.dto = params.lead_external_query_dto;

    const wrongVerb: TopRefusal | undefined =
      req.method === 'POST' || req.method === 'GET' ? undefined : { code: 9, msg: 'Http Action Not Allowed' };
    // Platform checks first, so a queued API fault never masks a bad signature or session.
    const refusal = wrongVerb ?? this.verify(params) ?? faultRefusal(fault);
    if (refusal !== undefined) {
      record.outcome = refusal.code;
      return respond(() => send(res, 200, 'application/json;charset=UTF-8', errorBody(refusal, requestId(record.seq))));
    }
    if (fault?.kind === 'raw-body' || fault?.kind === 'result-not-ok') record.outcome = 'fault';
    if (fault?.kind === 'raw-body')
      return respond(() => send(res, fault.status ?? 200, 'application/json;charset=UTF-8', fault.body));

    const query = parseQuery(params.lead_external_query_dto);
    if ('code' in query) {
      record.outcome = query.code;
      return respond(() => send(res, 200, 'application/json;charset=UTF-8', errorBody(query, requestId(record.seq))));
    }
    const inner =
      fault?.kind === 'result-not-ok'
        ? `"result_ok":false,"result_error_code":${JSON.stringify(fault.resultErrorCode ?? 'SYSTEM_BUSY')},"error_msg":${JSON.stringify(fault.errorMsg ?? '系统繁忙，请稍后重试')}`
        : this.pageFields(query, record, fault);
    const withId = `${inner},"request_id":"${requestId(record.seq)}"`;
    return respond(() =>
      send(
        res,
        200,
        'application/json;charset=UTF-8',
        record.simplify ? `{${withId}}` : `{"mama_crm_lead_list_response":{${withId}}}`,
      ),
    );
  }

  /** The platform's own checks, in roughly the real gateway's order; undefined when the call may proceed. */
  private verify(params: Record<string, string>): TopRefusal | undefined {
    if (params.method === undefined) return { code: 21, msg: 'Missing Method' };
    if (params.app_key === undefined) return { code: 28, msg: 'Missing App Key' };
    if (params.app_key !== this.appKey) return { code: 29, msg: 'Invalid App Key' };
    if (params.timestamp === undefined) return { code: 30, msg: 'Missing Timestamp' };
    const sentAt = parseTopTimestamp(params.timestamp);
    const maxSkewMs = this.options.maxSkewMs ?? 10 * 60_000;
    if (sentAt === undefined || Math.abs(sentAt - this.now()) > maxSkewMs) {
      return {
        code: 31,
        msg: 'Invalid Timestamp',
        subMsg: `timestamp ${params.timestamp} is not within ${maxSkewMs / 60_000} minutes of ${formatTopTimestamp(this.now())} (GMT+8)`,
      };
    }
    if (params.v === undefined) return { code: 32, msg: 'Missing Version' };
    if (params.v !== '2.0') return { code: 34, msg: 'Unsupported Version' };
    if (params.format !== 'json') return { code: 23, msg: 'Invalid Format', subMsg: 'this gateway answers format=json only' };
    if (params.sign === undefined) return { code: 24, msg: 'Missing Signature' };
    // Like the real gateway, an absent sign_method means md5.
    const signMethod = SIGN_METHODS.find((candidate) => candidate === (params.sign_method ?? 'md5'));
    if (signMethod === undefined)
      return {
        code: 41,
        msg: 'Invalid Arguments:sign_method',
        subCode: 'isv.invalid-parameter',
        subMsg: 'sign_method must be md5, hmac or hmac-sha256',
      };
    if (!this.signatureMatches(params, signMethod)) return { code: 25, msg: 'Invalid Signature' };
    if (params.method !== LEAD_LIST_METHOD) return { code: 22, msg: 'Invalid Method' };
    if (params.session === undefined) return { code: 26, msg: 'Missing Session' };
    if (params.session !== this.sessionKey || this.sessionExpired) {
      return { code: 27, msg: 'Invalid session', subCode: 'invalid-sessionkey', subMsg: 'SessionKey非法或已过期' };
    }
    return undefined;
  }

  private signatureMatches(params: Record<string, string>, method: SignMethod): boolean {
    return sameSecret((params.sign ?? '').toUpperCase(), signTopRequest(params, this.appSecret, method));
  }

  /** `"result_data":…,"result_ok":true` for the requested page, with any contract-violating fault applied. */
  private pageFields(
    query: { offset?: bigint; pageSize: number },
    record: GatewayRequestRecord,
    fault: GatewayFault | undefined,
  ): string {
    const from = query.offset === undefined || fault?.kind === 'ids-above-offset' ? 0 : this.firstIndexAtOrBelow(query.offset);
    const page = this.held.slice(from, from + query.pageSize).map((entry) => entry.lead);
    if (fault?.kind === 'ascending-page') page.reverse();
    record.servedIds = page.map((lead) => lead.id);
    const bare = (this.options.listShape ?? (record.simplify ? 'bare' : 'wrapped')) === 'bare';
    const items = `[${page.map((lead) => leadJson(lead, bare)).join(',')}]`;
    if (bare) return `"result_data":${items},"result_ok":true`;
    // Wrapped (XML-derived) JSON leaves an empty list out altogether.
    return page.length === 0 ? '"result_ok":true' : `"result_data":{"result":${items}},"result_ok":true`;
  }

  /** Index of the first held lead the offset lets through: id < X, or id ≤ X when inclusive. */
  private firstIndexAtOrBelow(offset: bigint): number {
    const inclusive = this.options.offsetMode === 'inclusive';
    let low = 0;
    let high = this.held.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const id = this.held[mid]!.id;
      if (inclusive ? id > offset : id >= offset) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** The error a queued API-level fault turns into, if it is one. */
function faultRefusal(fault: GatewayFault | undefined): TopRefusal | undefined {
  switch (fault?.kind) {
    case 'rate-limit':
      return {
        code: 7,
        msg: 'App Call Limited',
        subCode: 'accesscontrol.limited-by-app-access-count',
        subMsg: `This ban will last for ${fault.banSeconds} more seconds`,
      };
    case 'isp-error':
      return {
        code: 15,
        msg: 'Remote service error',
        subCode: fault.subCode ?? 'isp.top-remote-connection-timeout',
        subMsg: fault.subMsg ?? '调用远程服务超时',
      };
    case 'session-expired':
      return { code: 27, msg: 'Invalid session', subCode: 'session-expired', subMsg: 'SessionKey已过期' };
    case 'top-error':
      return { code: fault.code, msg: fault.msg, subCode: fault.subCode, subMsg: fault.subMsg };
    default:
      return undefined;
  }
}

/** `lead_external_query_dto` → offset and page size, or the 40/41 the real gateway would answer. */
function parseQuery(dto: string | undefined): { offset?: bigint; pageSize: number } | TopRefusal {
  const missing = { code: 40, msg: 'Missing Required Arguments:lead_external_query_dto.page_size' };
  if (dto === undefined) return missing;
  let value: unknown;
  try {
    value = parseJsonKeepingBigInts(dto);
  } catch {
    return invalidArgument('lead_external_query_dto is not JSON');
  }
  if (!isRecord(value)) return invalidArgument('lead_external_query_dto is not an object');
  const { page_size: pageSize, offset } = value;
  if (pageSize === undefined || pageSize === null) return missing;
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return invalidArgument(`page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (offset === undefined || offset === null) return { pageSize };
  const offsetText = typeof offset === 'number' && Number.isSafeInteger(offset) ? String(offset) : offset;
  if (!isLeadId(offsetText)) return invalidArgument('offset must be a non-negative integer');
  return { offset: BigInt(offsetText), pageSize };
}

function invalidArgument(subMsg: string): TopRefusal {
  return { code: 41, msg: 'Invalid Arguments:lead_external_query_dto', subCode: 'isv.invalid-parameter', subMsg };
}

/** One lead's JSON, written by hand so ids beyond 2^53 go out as bare numbers with every digit. */
function leadJson(lead: SampleLead, bareLists: boolean): string {
  const fields: string[] = [];
  const text = (key: keyof SampleLead, value: string | undefined): void => {
    if (value !== undefined) fields.push(`"${key}":${JSON.stringify(value)}`);
  };
  const number = (key: keyof SampleLead, value: string | number | undefined): void => {
    if (value === undefined) return;
    const digits = String(value);
    // A non-numeric value (a test may set one) goes out as a string rather than invalid JSON.
    fields.push(`"${key}":${/^-?\d+$/.test(digits) ? digits : JSON.stringify(digits)}`);
  };
  text('seller_nick', lead.seller_nick);
  number('gmt_modified', lead.gmt_modified);
  text('mm_src_cname', lead.mm_src_cname);
  text('lead_time', lead.lead_time);
  number('seller_user_id', lead.seller_user_id);
  number('page_id', lead.page_id);
  number('gmt_create', lead.gmt_create);
  text('page_name', lead.page_name);
  text('name', lead.name);
  text('store_name', lead.store_name);
  number('id', lead.id);
  text('location_code', lead.location_code);
  if (lead.extend_list !== undefined) {
    const list = JSON.stringify(lead.extend_list);
    fields.push(`"extend_list":${bareLists ? list : `{"lead_extend_d_t_o":${list}}`}`);
  }
  text('location', lead.location);
  text('mobile', lead.mobile);
  return `{${fields.join(',')}}`;
}

function errorBody(refusal: TopRefusal, id: string): string {
  const sub = refusal.subCode === undefined ? '' : `,"sub_code":${JSON.stringify(refusal.subCode)}`;
  const subMsg = refusal.subMsg === undefined ? '' : `,"sub_msg":${JSON.stringify(refusal.subMsg)}`;
  return `{"error_response":{"code":${refusal.code},"msg":${JSON.stringify(refusal.msg)}${sub}${subMsg},"request_id":"${id}"}}`;
}

function requestId(seq: number): string {
  return `sim${(1_000_000 + seq).toString(36)}`;
}

/** Query-string and form-body parameters merged (the body wins), as the real gateway accepts both. */
function requestParams(req: IncomingMessage, url: URL, body: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) params[key] = value;
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body)) params[key] = value;
  }
  // The platform treats an empty value as absent, for signing and for checks alike.
  for (const key of Object.keys(params)) if (params[key] === '') delete params[key];
  return params;
}
