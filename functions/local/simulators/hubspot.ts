import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../../shared/domain/is-record';
import { FaultQueue, HttpSimulator, parseJson, readBody, send, sendJson, type SimulatorControls } from './http-server';
import { sameSecret } from './same-secret';

/**
 * A simulated HubSpot CRM: a real HTTP server that answers the calls the `hubspot` connector
 * makes the way HubSpot documents them, and is strict about what HubSpot refuses. Product code:
 * `dev --config` can point a connector's `baseUrl` here for a dry run, and the tests prove the
 * connector against it.
 *
 * Sources (HubSpot developer documentation, read 2026-12):
 * - Upsert: `POST /crm/v3/objects/{objectType}/batch/upsert`, body `{"inputs": [{"id", "idProperty",
 *   "properties", "objectWriteTraceId"?}]}`, answer `{"status", "results": [{"id", "new", "properties",
 *   "createdAt", "updatedAt", "archived"}], "startedAt", "completedAt"}` plus `errors`/`numErrors` on a
 *   207: https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 *   ("Create or update records identified by a unique property value as specified by the idProperty").
 * - Batches take at most 100 inputs: the same reference's request schema.
 * - Error body `{"status": "error", "message", "correlationId", "category", "errors": [{"message", "code",
 *   "in", "context"}]}`, 401 for invalid authentication, 403 for missing scopes, 207 multi-status when
 *   inputs carry `objectWriteTraceId`: https://developers.hubspot.com/docs/api-reference/error-handling
 *   and https://developers.hubspot.com/changelog/upcoming-changes-to-error-responses.
 * - 429 body `{"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
 *   "errorType": "RATE_LIMIT", "correlationId", "policyName": "TEN_SECONDLY_ROLLING" | "DAILY"}` and the
 *   `X-HubSpot-RateLimit-*` headers: https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details.
 * - `idProperty` must name a property created with "require unique values" (`hasUniqueValue`); another
 *   is refused with "Unable to perform update/upsert by non-unique 0-1 property …" (VALIDATION_ERROR), as
 *   quoted in https://github.com/HubSpot/hubspot-api-nodejs/issues/548 and
 *   https://developers.hubspot.com/changelog/updating-objects-by-custom-field-and-adding-owner-properties-via-the-api.
 * - A refused property value: 400 VALIDATION_ERROR "Property values were not valid: [{"isValid": false,
 *   "message", "error": <code>, "name": <property>, "localizedErrorMessage", "portalId"}]" (the 207 example
 *   of the error-handling page above, for PROPERTY_DOESNT_EXIST), and an `errors` entry per property
 *   `{"message", "code", "context": {"propertyName": [<property>]}}` (that page's INVALID_INTEGER example).
 *   HubSpot publishes no list of the per-property codes. PROPERTY_DOESNT_EXIST and INVALID_INTEGER are
 *   documented there; INVALID_OPTION ("<value> was not one of the allowed options: [<options>]"),
 *   INVALID_EMAIL ("Email address <value> is invalid") and INVALID_LONG are as HubSpot's answers carry
 *   them, quoted in public client code and issues (not in HubSpot's documentation); READ_ONLY_VALUE,
 *   INVALID_BOOLEAN and INVALID_DATE are the simulator's names for checks HubSpot makes. These messages
 *   quote the refused value as HubSpot's do, so a test can see that a lead's name never reaches a reason.
 * - An enumeration property takes only its options' internal values, exactly ("Increased validation for
 *   contact updates made through APIs", https://developers.hubspot.com/changelog/upcoming-increased-validation-for-contact-updates-made-through-apis);
 *   `hs_lead_status` and `lifecyclestage` are default contact properties with options.
 * - 423 Locked ("Locks will last for 2 seconds") and 477 Migration in Progress (with a `Retry-After` in
 *   seconds): the error-handling page above, which gives no body for either (the simulator's are its own).
 *   That page has no 408, and the simulator never answers one.
 * - Private-app tokens: a static bearer token (`Authorization: Bearer pat-…`) that does not expire but can be
 *   rotated (the old one then expires, at once or later): https://developers.hubspot.com/docs/api/private-apps.
 *   Its info, `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey"}` → `{"userId", "hubId",
 *   "appId", "scopes"}`: the same page.
 *
 * Where the documentation is silent the simulator chooses and says so: a phone-number property
 * refuses a value that is not a phone number (INVALID_PHONE_NUMBER, the simulator's own check, so a
 * ciphertext in `mobilephone` fails a test), and a text value is at most 65,536 characters.
 */

/** A misbehaviour for one call (queueFault) or for every call (setFault). */
export type HubSpotFault =
  /** 429 with the policy's own message; `retryAfterSeconds` adds a `Retry-After` header. */
  | { kind: 'rate-limit'; policy?: 'TEN_SECONDLY_ROLLING' | 'DAILY'; retryAfterSeconds?: number }
  /** A 5xx with HubSpot's JSON error body (default 500). */
  | { kind: 'server-error'; status?: number }
  /** An HTML error page from the edge in front of the API (default 502). */
  | { kind: 'html'; status?: number }
  /** Answer normally, this much later. */
  | { kind: 'delay'; ms: number }
  /** Close the connection without answering. */
  | { kind: 'drop-connection' }
  /** Apply the upsert, then close the connection without answering: the record exists, the client never hears. */
  | { kind: 'accept-then-drop' }
  /** After authentication, answer exactly this body (200 unless `status`). */
  | { kind: 'raw-body'; body: string; status?: number }
  /** 423 Locked: another write holds the record (HubSpot's locks last 2 seconds). */
  | { kind: 'locked' }
  /** 477 Migration in Progress, with `Retry-After` (default 3600 seconds). */
  | { kind: 'migration'; retryAfterSeconds?: number };

export type HubSpotPropertyType = 'string' | 'number' | 'enumeration' | 'date' | 'datetime' | 'bool';

/** A property definition, as `GET /crm/v3/properties/{objectType}` describes one. */
export interface HubSpotProperty {
  name: string;
  type: HubSpotPropertyType;
  /** `text`, `textarea`, `phonenumber`, `select`, `number`, `date`, `booleancheckbox`, … */
  fieldType: string;
  hasUniqueValue?: boolean;
  /** Set by HubSpot itself (`hs_object_id`, `createdate`): a write is refused. */
  readOnly?: boolean;
  /** `enumeration` only: the internal values allowed. */
  options?: readonly string[];
}

export interface SimulatedHubSpotOptions {
  /** The private-app access token accepted at start. */
  token?: string;
  /** Scopes the token carries. Default contacts read and write. */
  scopes?: readonly string[];
  /** A token stops working this long after it was issued. Default never, like a private-app token. */
  tokenLifetimeMs?: number;
  /** Extra contact properties, e.g. the unique `alimama_lead_id` (present by default). */
  customProperties?: readonly HubSpotProperty[];
  /** A rolling-window limit, like TEN_SECONDLY_ROLLING (e.g. 190 per 10 000 ms). Default none. */
  burstLimit?: { max: number; intervalMs: number };
  /** Added to every call. */
  latencyMs?: number;
  now?: () => number;
  portalId?: number;
  host?: string;
  port?: number;
}

/** A record the simulated CRM holds. */
export interface HubSpotRecord {
  id: string;
  objectType: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** How many upserts wrote it (1 = created and never updated). */
  writes: number;
}

/** What the simulator saw and did, per call. No token is kept. */
export interface HubSpotRequestRecord {
  seq: number;
  method: string;
  path: string;
  /** How the bearer token fared. */
  auth: 'ok' | 'missing' | 'invalid' | 'expired' | 'not-checked';
  status: number;
  /** Upserts: the `id` of every input the body carries, in order, whatever the call was answered. */
  inputIds?: string[];
  /** The HubSpot `category` (or per-property code) of a refusal. */
  category?: string;
  fault?: HubSpotFault['kind'];
}

export interface SimulatedHubSpot extends SimulatorControls<HubSpotRequestRecord> {
  /** The `baseUrl` to configure (`http://127.0.0.1:<port>`). */
  readonly url: string;
  /** The token currently accepted. */
  readonly token: string;
  readonly portalId: number;
  /** Calls to the token-info endpoint and the list probe: what `check --online` costs. */
  readonly tokenChecks: number;
  /** Every record of an object type (default `contacts`), oldest first. */
  records(objectType?: string): HubSpotRecord[];
  /** The record whose `property` holds `value`. */
  find(property: string, value: string, objectType?: string): HubSpotRecord | undefined;
  /** A new token; the old one expires after `expireOldAfterMs` (default at once), as HubSpot's rotation does. */
  rotateToken(options?: { expireOldAfterMs?: number }): string;
  /** The token stops working now (the app was deleted or the token rotated and expired). */
  expireToken(): void;
  setScopes(scopes: readonly string[]): void;
  /**
   * Faults for the next calls, in order; they win over setFault. HubSpot's own answers (rate-limit,
   * server-error, raw-body, locked, migration, accept-then-drop) wait for a call that passes the
   * token check and the rolling window; the edge's `html`, `drop-connection` and `delay` meet the
   * next call whatever its token. The token-info endpoint takes only the edge's.
   */
  queueFault(...faults: HubSpotFault[]): void;
  setFault(fault: HubSpotFault | undefined): void;
}

export const SIMULATED_HUBSPOT_TOKEN = 'pat-na1-00000000-0000-4000-8000-simulated0001';
export const SIMULATED_HUBSPOT_PORTAL_ID = 24_000_001;
/** The unique contact property the README asks the user to create. */
export const ALIMAMA_LEAD_ID_PROPERTY: HubSpotProperty = {
  name: 'alimama_lead_id',
  type: 'string',
  fieldType: 'text',
  hasUniqueValue: true,
};
export const MAX_BATCH_INPUTS = 100;
export const MAX_TEXT_LENGTH = 65_536;

const CONTACT_SCOPES = ['crm.objects.contacts.read', 'crm.objects.contacts.write'];
/** The object types the simulator holds, by name and by HubSpot's type id. */
const OBJECT_TYPES: Record<string, string> = { contacts: 'contacts', '0-1': 'contacts' };
const SCOPE_OF: Record<string, string> = { contacts: 'crm.objects.contacts' };
const JSON_TYPE = 'application/json;charset=utf-8';
const HTML_502 =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>';
const TEXT = (name: string, fieldType = 'text'): HubSpotProperty => ({ name, type: 'string', fieldType });

/** A fresh portal's contact properties that matter here (HubSpot's default contact properties). */
const DEFAULT_CONTACT_PROPERTIES: readonly HubSpotProperty[] = [
  { name: 'email', type: 'string', fieldType: 'text' },
  TEXT('firstname'),
  TEXT('lastname'),
  TEXT('phone', 'phonenumber'),
  TEXT('mobilephone', 'phonenumber'),
  TEXT('address'),
  TEXT('city'),
  TEXT('state'),
  TEXT('zip'),
  TEXT('country'),
  TEXT('company'),
  TEXT('jobtitle'),
  TEXT('website'),
  TEXT('message', 'textarea'),
  {
    name: 'hs_lead_status',
    type: 'enumeration',
    fieldType: 'select',
    options: ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'],
  },
  {
    name: 'lifecyclestage',
    type: 'enumeration',
    fieldType: 'radio',
    options: [
      'subscriber',
      'lead',
      'marketingqualifiedlead',
      'salesqualifiedlead',
      'opportunity',
      'customer',
      'evangelist',
      'other',
    ],
  },
  { name: 'hs_object_id', type: 'number', fieldType: 'number', readOnly: true },
  { name: 'createdate', type: 'datetime', fieldType: 'date', readOnly: true },
  { name: 'lastmodifieddate', type: 'datetime', fieldType: 'date', readOnly: true },
];

/** One refusal, before it is written: HubSpot's error body and its status. */
interface Refusal {
  status: number;
  category: string;
  message: string;
  errors?: { message: string; code?: string; in?: string; context?: Record<string, string[]> }[];
  /** For the request record: the per-property code when there is one. */
  code?: string;
  headers?: Record<string, string>;
  extra?: Record<string, unknown>;
}

interface IssuedToken {
  value: string;
  issuedAt: number;
  /** Epoch ms after which it is refused; undefined while current and without a lifetime. */
  expiresAt?: number;
}

interface UpsertInput {
  id: string;
  idProperty: string;
  properties: Record<string, string>;
  objectWriteTraceId?: string;
}

/** Starts the simulator on a free loopback port. `close()` ends every connection and pending delay. */
export async function startSimulatedHubSpot(options: SimulatedHubSpotOptions = {}): Promise<SimulatedHubSpot> {
  return new HubSpot(options).listen(options);
}

class HubSpot extends HttpSimulator<HubSpotRequestRecord> implements SimulatedHubSpot {
  readonly portalId: number;
  tokenChecks = 0;
  private readonly tokens: IssuedToken[] = [];
  private scopes: string[];
  private readonly properties: Map<string, HubSpotProperty>;
  private readonly held = new Map<string, HubSpotRecord[]>();
  private nextObjectId = 1001;
  private readonly faults = new FaultQueue<HubSpotFault>();
  /** Arrival times of recent calls, for the rolling window. */
  private readonly window: number[] = [];
  private readonly now: () => number;

  constructor(private readonly options: SimulatedHubSpotOptions) {
    super('the simulated HubSpot');
    this.now = options.now ?? Date.now;
    this.portalId = options.portalId ?? SIMULATED_HUBSPOT_PORTAL_ID;
    this.scopes = [...(options.scopes ?? CONTACT_SCOPES)];
    this.tokens.push(this.issue(options.token ?? SIMULATED_HUBSPOT_TOKEN));
    const custom = options.customProperties ?? [ALIMAMA_LEAD_ID_PROPERTY];
    this.properties = new Map([...DEFAULT_CONTACT_PROPERTIES, ...custom].map((property) => [property.name, property]));
  }

  get token(): string {
    return this.tokens[this.tokens.length - 1]!.value;
  }

  records(objectType = 'contacts'): HubSpotRecord[] {
    return (this.held.get(objectType) ?? []).map((record) => ({ ...record, properties: { ...record.properties } }));
  }

  find(property: string, value: string, objectType = 'contacts'): HubSpotRecord | undefined {
    return this.records(objectType).find((record) => record.properties[property] === value);
  }

  rotateToken(options: { expireOldAfterMs?: number } = {}): string {
    const current = this.tokens[this.tokens.length - 1]!;
    current.expiresAt = Math.min(current.expiresAt ?? Infinity, this.now() + (options.expireOldAfterMs ?? 0));
    const next = this.issue(`pat-na1-${randomUUID()}`);
    this.tokens.push(next);
    return next.value;
  }

  expireToken(): void {
    for (const token of this.tokens) token.expiresAt = Math.min(token.expiresAt ?? Infinity, this.now());
  }

  setScopes(scopes: readonly string[]): void {
    this.scopes = [...scopes];
  }

  queueFault(...faults: HubSpotFault[]): void {
    this.faults.queue(...faults);
  }

  setFault(fault: HubSpotFault | undefined): void {
    this.faults.set(fault);
  }

  private issue(value: string): IssuedToken {
    const issuedAt = this.now();
    const lifetime = this.options.tokenLifetimeMs;
    return lifetime === undefined ? { value, issuedAt } : { value, issuedAt, expiresAt: issuedAt + lifetime };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bodyText = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://hubspot');
    const record: HubSpotRequestRecord = {
      seq: this.log.nextSeq(),
      method: req.method ?? '',
      path: url.pathname,
      auth: 'not-checked',
      status: 0,
    };
    this.log.add(record);
    const upsert = /^\/crm\/v3\/objects\/([^/]+)\/batch\/upsert$/.exec(url.pathname);
    const list = /^\/crm\/v3\/objects\/([^/]+)$/.exec(url.pathname);
    if (upsert !== null) {
      const ids = inputIdsOf(bodyText);
      if (ids !== undefined) record.inputIds = ids;
    }
    // What stands in front of the API (the edge's HTML error page, a dropped connection, a slow
    // network) meets whichever call comes next, whatever its token, as in the fxiaoke simulator;
    // HubSpot's own answers are taken below, once the call passed its token check.
    const early = this.faults.next(atTheEdge);
    if (early !== undefined) record.fault = early.kind;
    const wait = (this.options.latencyMs ?? 0) + (early?.kind === 'delay' ? early.ms : 0);
    if (!(await this.http.hold(res, wait))) return;

    if (early?.kind === 'drop-connection') return void req.socket.destroy();
    if (early?.kind === 'html') {
      record.status = early.status ?? 502;
      return send(res, record.status, 'text/html', HTML_502);
    }

    if (url.pathname === '/oauth/v2/private-apps/get/access-token-info') {
      this.tokenChecks++;
      return this.answer(res, record, this.tokenInfo(req, bodyText));
    }

    // Limits are counted per portal, so HubSpot has to know whose call it is first. A call
    // refused for its token (401) or for a full rolling window (429) is not served: it takes no
    // queued fault, which waits for the next call that is, so a test that rotates or expires the
    // token and then queues faults knows each fault was answered.
    record.auth = this.authenticate(req.headers.authorization);
    const authRefusal = authenticationRefusal(record.auth);
    if (authRefusal !== undefined) return this.answer(res, record, authRefusal);
    const now = this.now();
    if (this.windowFull(now)) return this.answer(res, record, rateLimited('TEN_SECONDLY_ROLLING'));

    const fault = early ?? this.faults.next();
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === 'rate-limit') {
      return this.answer(res, record, rateLimited(fault.policy ?? 'TEN_SECONDLY_ROLLING', fault.retryAfterSeconds));
    }
    this.window.push(now);

    if (fault?.kind === 'server-error') {
      return this.answer(res, record, {
        status: fault.status ?? 500,
        category: 'INTERNAL_ERROR',
        message: 'internal error',
      });
    }
    if (fault?.kind === 'locked') {
      return this.answer(res, record, {
        status: 423,
        category: 'LOCKED',
        message: 'The record is locked by another request. Try again in a few seconds.',
      });
    }
    if (fault?.kind === 'migration') {
      return this.answer(res, record, {
        status: 477,
        category: 'MIGRATION_IN_PROGRESS',
        message: 'This account is being migrated between data hosting locations.',
        headers: { 'retry-after': String(fault.retryAfterSeconds ?? 3600) },
      });
    }
    if (fault?.kind === 'raw-body') {
      record.status = fault.status ?? 200;
      return send(res, record.status, JSON_TYPE, fault.body);
    }

    if (upsert !== null && req.method === 'POST') {
      const answer = this.upsert(upsert[1]!, bodyText, record);
      if (fault?.kind === 'accept-then-drop' && answer.status < 300) return void req.socket.destroy();
      return this.answer(res, record, answer);
    }
    if (list !== null && req.method === 'GET') {
      this.tokenChecks++;
      return this.answer(res, record, this.list(list[1]!, url));
    }
    if (upsert !== null || list !== null) {
      return this.answer(res, record, {
        status: 405,
        category: 'VALIDATION_ERROR',
        message: `HTTP ${req.method} is not supported by this resource`,
      });
    }
    record.status = 404;
    return send(res, 404, 'text/plain', 'Not Found');
  }

  /** A refusal, or the success body given as a 2xx `{status, body}`. */
  private answer(res: ServerResponse, record: HubSpotRequestRecord, answer: Refusal | { status: number; body: unknown }): void {
    record.status = answer.status;
    const headers = { ...this.rateHeaders(), ...('headers' in answer ? answer.headers : {}) };
    if ('body' in answer) return sendJson(res, answer.status, JSON_TYPE, answer.body, headers);
    record.category = answer.code ?? answer.category;
    const body = {
      status: 'error',
      message: answer.message,
      correlationId: randomUUID(),
      ...(answer.errors === undefined ? {} : { errors: answer.errors }),
      category: answer.category,
      ...answer.extra,
    };
    return sendJson(res, answer.status, JSON_TYPE, body, headers);
  }

  private authenticate(header: string | undefined): HubSpotRequestRecord['auth'] {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (match === null) return 'missing';
    const token = this.tokens.find((candidate) => sameSecret(match[1]!, candidate.value));
    if (token === undefined) return 'invalid';
    return token.expiresAt !== undefined && this.now() >= token.expiresAt ? 'expired' : 'ok';
  }

  /** Whether the configured rolling window (like TEN_SECONDLY_ROLLING) is full at `now`; calls older than it drop out. */
  private windowFull(now: number): boolean {
    const limit = this.options.burstLimit;
    if (limit === undefined) return false;
    while (this.window.length > 0 && this.window[0]! <= now - limit.intervalMs) this.window.shift();
    return this.window.length >= limit.max;
  }

  private rateHeaders(): Record<string, string> {
    const limit = this.options.burstLimit;
    if (limit === undefined) return {};
    return {
      'x-hubspot-ratelimit-max': String(limit.max),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, limit.max - this.window.length)),
      'x-hubspot-ratelimit-interval-milliseconds': String(limit.intervalMs),
    };
  }

  private tokenInfo(req: IncomingMessage, bodyText: string): Refusal | { status: number; body: unknown } {
    if (req.method !== 'POST')
      return { status: 405, category: 'VALIDATION_ERROR', message: `HTTP ${req.method} is not supported by this resource` };
    const body = parseJson(bodyText);
    if (!isRecord(body) || typeof body.tokenKey !== 'string') {
      return {
        status: 400,
        category: 'VALIDATION_ERROR',
        message: 'tokenKey is required',
        errors: [{ message: 'must not be null', in: 'tokenKey' }],
      };
    }
    const state = this.authenticate(`Bearer ${body.tokenKey}`);
    const refusal = authenticationRefusal(state);
    if (refusal !== undefined) return refusal;
    return { status: 200, body: { userId: 1, hubId: this.portalId, appId: 1, scopes: [...this.scopes] } };
  }

  private list(objectTypeName: string, url: URL): Refusal | { status: number; body: unknown } {
    const objectType = OBJECT_TYPES[objectTypeName];
    if (objectType === undefined) return unknownObjectType(objectTypeName);
    const missing = this.missingScope(`${SCOPE_OF[objectType]}.read`);
    if (missing !== undefined) return missing;
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? '10') || 10));
    const results = this.records(objectType)
      .slice(0, limit)
      .map((held) => ({
        id: held.id,
        properties: held.properties,
        createdAt: held.createdAt,
        updatedAt: held.updatedAt,
        archived: false,
      }));
    return { status: 200, body: { results } };
  }

  private missingScope(scope: string): Refusal | undefined {
    if (this.scopes.includes(scope)) return undefined;
    return {
      status: 403,
      category: 'MISSING_SCOPES',
      message:
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } }],
    };
  }

  private upsert(
    objectTypeName: string,
    bodyText: string,
    record: HubSpotRequestRecord,
  ): Refusal | { status: number; body: unknown } {
    const startedAt = new Date(this.now()).toISOString();
    const objectType = OBJECT_TYPES[objectTypeName];
    if (objectType === undefined) return unknownObjectType(objectTypeName);
    const missing = this.missingScope(`${SCOPE_OF[objectType]}.write`);
    if (missing !== undefined) return missing;

    const parsed = parseInputs(bodyText);
    if ('category' in parsed) return parsed;
    record.inputIds = parsed.map((input) => input.id);
    const duplicates = parsed.map((input) => input.id).filter((id, index, ids) => ids.indexOf(id) !== index);
    if (duplicates.length > 0) {
      return {
        status: 400,
        category: 'VALIDATION_ERROR',
        message: `Duplicate IDs found in batch input: [${[...new Set(duplicates)].join(', ')}]. IDs must be unique`,
      };
    }

    // Without objectWriteTraceId one bad input fails the whole batch; with it, HubSpot answers 207
    // and names the inputs that failed.
    const multiStatus = parsed.some((input) => input.objectWriteTraceId !== undefined);
    const results: unknown[] = [];
    const errors: unknown[] = [];
    const valid: UpsertInput[] = [];
    for (const input of parsed) {
      const refusal = this.validate(input);
      if (refusal === undefined) valid.push(input);
      else if (!multiStatus) return refusal;
      else
        errors.push({
          status: 'error',
          category: refusal.category,
          message: refusal.message,
          context: { objectWriteTraceId: [input.objectWriteTraceId ?? ''] },
          ...(refusal.errors === undefined ? {} : { errors: refusal.errors }),
        });
    }
    for (const input of valid) results.push(this.write(objectType, input));
    const body = {
      status: 'COMPLETE',
      results,
      ...(errors.length === 0 ? {} : { numErrors: errors.length, errors }),
      startedAt,
      completedAt: new Date(this.now()).toISOString(),
    };
    if (errors.length > 0) record.category = 'MULTI_STATUS';
    return { status: errors.length > 0 ? 207 : 200, body };
  }

  /** HubSpot's checks of one input, in the order it reports them; undefined when it may be written. */
  private validate(input: UpsertInput): Refusal | undefined {
    const idProperty = this.properties.get(input.idProperty);
    if (idProperty === undefined || idProperty.hasUniqueValue !== true) {
      return {
        status: 400,
        category: 'VALIDATION_ERROR',
        message: `Unable to perform update/upsert by non-unique 0-1 property ${input.idProperty} in portal ID ${this.portalId}`,
      };
    }
    const problems: { name: string; code: string; message: string }[] = [];
    for (const [name, value] of Object.entries(input.properties)) {
      const problem = propertyProblem(this.properties.get(name), name, value);
      if (problem !== undefined) problems.push({ name, ...problem });
    }
    const idProblem = propertyProblem(idProperty, idProperty.name, input.id);
    if (idProblem !== undefined) problems.push({ name: idProperty.name, ...idProblem });
    if (problems.length === 0) return undefined;
    const detail = problems.map((problem) => ({
      isValid: false,
      message: problem.message,
      error: problem.code,
      name: problem.name,
      localizedErrorMessage: problem.message,
      portalId: this.portalId,
    }));
    return {
      status: 400,
      category: 'VALIDATION_ERROR',
      code: problems[0]!.code,
      message: `Property values were not valid: ${JSON.stringify(detail)}`,
      errors: problems.map((problem) => ({
        message: problem.message,
        code: problem.code,
        context: { propertyName: [problem.name] },
      })),
    };
  }

  /** Creates the record the unique property names, or updates it: the same id never makes a second record. */
  private write(objectType: string, input: UpsertInput): unknown {
    const now = new Date(this.now()).toISOString();
    const held = this.held.get(objectType) ?? [];
    this.held.set(objectType, held);
    let target = held.find((candidate) => candidate.properties[input.idProperty] === input.id);
    const created = target === undefined;
    if (target === undefined) {
      const id = String(this.nextObjectId++);
      target = { id, objectType, properties: { hs_object_id: id, createdate: now }, createdAt: now, updatedAt: now, writes: 0 };
      held.push(target);
    }
    Object.assign(target.properties, input.properties, { [input.idProperty]: input.id, lastmodifieddate: now });
    target.updatedAt = now;
    target.writes++;
    return {
      id: target.id,
      properties: { ...target.properties },
      createdAt: target.createdAt,
      updatedAt: target.updatedAt,
      archived: false,
      new: created,
      ...(input.objectWriteTraceId === undefined ? {} : { objectWriteTraceId: input.objectWriteTraceId }),
    };
  }
}

function authenticationRefusal(state: HubSpotRequestRecord['auth']): Refusal | undefined {
  if (state === 'ok' || state === 'not-checked') return undefined;
  if (state === 'expired') {
    return {
      status: 401,
      category: 'EXPIRED_AUTHENTICATION',
      message: 'The access token used to make this call has expired. Rotate the private app token and try again.',
    };
  }
  return {
    status: 401,
    category: 'INVALID_AUTHENTICATION',
    message:
      'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
  };
}

/** HubSpot's 429 for a policy's limit; `retryAfterSeconds` adds a `Retry-After` header. */
function rateLimited(policy: 'TEN_SECONDLY_ROLLING' | 'DAILY', retryAfterSeconds?: number): Refusal {
  return {
    status: 429,
    category: 'RATE_LIMITS',
    code: policy,
    message: `You have reached your ${policy.toLowerCase()} limit.`,
    extra: { errorType: 'RATE_LIMIT', policyName: policy },
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  };
}

/** Faults of the edge in front of the API: they meet a call whatever its token. */
function atTheEdge(fault: HubSpotFault): boolean {
  return fault.kind === 'html' || fault.kind === 'drop-connection' || fault.kind === 'delay';
}

/** The input ids a batch body carries, for the request log, before (and whether or not) the call is served. */
function inputIdsOf(bodyText: string): string[] | undefined {
  const body = parseJson(bodyText);
  if (!isRecord(body) || !Array.isArray(body.inputs)) return undefined;
  return body.inputs.flatMap((input) => (isRecord(input) && typeof input.id === 'string' ? [input.id] : []));
}

function unknownObjectType(name: string): Refusal {
  return { status: 400, category: 'OBJECT_NOT_FOUND', message: `Unable to infer object type from: ${name}` };
}

/** The per-property check HubSpot makes of a value; undefined when it is acceptable. */
function propertyProblem(
  property: HubSpotProperty | undefined,
  name: string,
  value: string,
): { code: string; message: string } | undefined {
  if (property === undefined) return { code: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` };
  if (property.readOnly === true)
    return { code: 'READ_ONLY_VALUE', message: `"${name}" is a read only property; its value cannot be set.` };
  if (value === '') return undefined; // an empty string clears a property
  switch (property.type) {
    // The value quoted as it came, unescaped, the way HubSpot's messages quote it.
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(value) ? undefined : { code: 'INVALID_INTEGER', message: `${value} was not a valid number.` };
    case 'bool':
      return value === 'true' || value === 'false'
        ? undefined
        : { code: 'INVALID_BOOLEAN', message: `${value} was not a valid boolean.` };
    case 'enumeration':
      return (property.options ?? []).includes(value)
        ? undefined
        : {
            code: 'INVALID_OPTION',
            message: `${value} was not one of the allowed options: [${(property.options ?? []).join(', ')}]`,
          };
    case 'date':
    case 'datetime':
      return /^\d{4}-\d{2}-\d{2}/.test(value) || /^\d+$/.test(value)
        ? undefined
        : { code: 'INVALID_DATE', message: `${value} was not a valid date.` };
    case 'string':
      break;
  }
  if (value.length > MAX_TEXT_LENGTH)
    return { code: 'INVALID_LONG', message: `${name} is longer than ${MAX_TEXT_LENGTH} characters` };
  if (name === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
    return { code: 'INVALID_EMAIL', message: `Email address ${value} is invalid` };
  if (property.fieldType === 'phonenumber' && !/^\+?[0-9][0-9 ()\-.]{2,39}$/.test(value)) {
    // The simulator's own check (see the header): no ciphertext in a phone field.
    return { code: 'INVALID_PHONE_NUMBER', message: `${name} is not a phone number` };
  }
  return undefined;
}

/** The request body's inputs, or HubSpot's VALIDATION_ERROR for a body it cannot read. */
function parseInputs(bodyText: string): UpsertInput[] | Refusal {
  const invalid = (message: string, where?: string): Refusal => ({
    status: 400,
    category: 'VALIDATION_ERROR',
    message,
    ...(where === undefined ? {} : { errors: [{ message, in: where }] }),
  });
  const body = parseJson(bodyText);
  if (body === undefined) return invalid('Invalid input JSON on line 1: the body is not JSON');
  if (!isRecord(body) || !Array.isArray(body.inputs)) return invalid('inputs: must not be null', 'inputs');
  if (body.inputs.length === 0) return invalid('inputs: must contain at least 1 input', 'inputs');
  if (body.inputs.length > MAX_BATCH_INPUTS)
    return invalid(`Batch input limit exceeded: at most ${MAX_BATCH_INPUTS} inputs`, 'inputs');
  const inputs: UpsertInput[] = [];
  for (const [index, input] of body.inputs.entries()) {
    if (!isRecord(input)) return invalid(`inputs[${index}]: must be an object`, `inputs[${index}]`);
    const { id, idProperty, properties, objectWriteTraceId } = input;
    if (typeof id !== 'string' || id === '') return invalid(`inputs[${index}].id: must not be blank`, `inputs[${index}].id`);
    if (typeof idProperty !== 'string' || idProperty === '') {
      return invalid(`inputs[${index}].idProperty: must not be blank`, `inputs[${index}].idProperty`);
    }
    if (!isRecord(properties)) return invalid(`inputs[${index}].properties: must not be null`, `inputs[${index}].properties`);
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(properties)) {
      // HubSpot takes every property value as a string, and numbers and booleans as their text.
      if (typeof value === 'string') values[name] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
      else if (value !== null)
        return invalid(`inputs[${index}].properties.${name}: must be a string`, `inputs[${index}].properties.${name}`);
    }
    inputs.push({
      id,
      idProperty,
      properties: values,
      ...(typeof objectWriteTraceId === 'string' ? { objectWriteTraceId } : {}),
    });
  }
  return inputs;
}
