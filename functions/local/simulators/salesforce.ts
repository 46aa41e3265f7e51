import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../../shared/domain/is-record';
import { FaultQueue, HttpSimulator, parseJson, readBody, sendJson, type SimulatorControls } from './http-server';
import { sameSecret } from './same-secret';

/**
 * A simulated Salesforce org: a real HTTP server with the OAuth 2.0 client credentials token
 * endpoint and the REST API's upsert of a Lead by external id, as strict as the real org about
 * credentials, sessions, unknown fields, required fields, field types and lengths. Product
 * code: `dev --config` can point a `salesforce` endpoint's `instanceUrl` at it for a dry run,
 * and the connector's tests prove themselves against it.
 *
 * Sources (Salesforce developer documentation, read 2026-12):
 * - Token: "OAuth 2.0 Client Credentials Flow for Server-to-Server Integration" and the
 *   Connect REST API quick start "Connect to Connect REST API Using OAuth"
 *   (https://developer.salesforce.com/docs/atlas.en-us.chatterapi.meta/chatterapi/quickstart_connecting.htm):
 *   `POST /services/oauth2/token`, form `grant_type=client_credentials&client_id&client_secret`,
 *   answered with `access_token`, `signature`, `instance_url`, `id`, `token_type`, `issued_at`,
 *   and no `expires_in`. Errors are RFC 6749 §5.2 bodies (`invalid_client`, `invalid_grant`,
 *   `unsupported_grant_type`, and Salesforce's own `invalid_client_id`).
 * - Upsert: REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID"
 *   (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-upsert.html):
 *   `PATCH /services/data/vXX.X/sobjects/{sObject}/{externalIdField}/{value}`; no match → a new
 *   record, 201 `{"id","success":true,"errors":[],"created":true}` (`created` from API 46.0 on);
 *   one match → the record is updated, 200 with `"created":false` from 46.0 on, 204 without a
 *   body before; an incorrect external id field → 404 `NOT_FOUND`.
 * - Errors: REST API Developer Guide, "Status Codes and Error Responses"
 *   (https://developer.salesforce.com/docs/platform/api-rest/guide/errorcodes.html): a JSON array
 *   of `{"message","errorCode","fields"?}`; 401 when the session id or OAuth token expired or is
 *   invalid (`INVALID_SESSION_ID`); 403 refused, `REQUEST_LIMIT_EXCEEDED` when an API limit is
 *   exceeded (see also "API Request Limits and Allocations" in the Salesforce Developer Limits
 *   and Allocations Quick Reference); 400 for a bad body (`JSON_PARSER_ERROR`, `INVALID_FIELD`,
 *   `REQUIRED_FIELD_MISSING`, `STRING_TOO_LONG`); 500 an error within Salesforce; 503 the server
 *   is unavailable (maintenance or overload).
 * - Request limit: "API Request Limits and Allocations"
 *   (https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html)
 *   and Salesforce Help "System Overview: API Usage" (calls counted per org over 24 hours, then
 *   blocked until the preceding 24 hours' usage drops below the limit); the usage in the
 *   `Sforce-Limit-Info: api-usage=used/limit` header ("Limit Info Header",
 *   https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm).
 * - Lead fields, types and lengths: "Salesforce Field Reference Guide: Lead"
 *   (https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-lead.html);
 *   `LastName` and `Company` required ("Object Reference: Lead").
 */

/**
 * A misbehaviour for one REST call (queueFault) or for every one (setFault), met only by a call
 * with a valid session within the request limit. The token endpoint is never faulted by these.
 */
export type SalesforceFault =
  /** 403 `REQUEST_LIMIT_EXCEEDED` ("TotalRequests Limit exceeded."). */
  | { kind: 'request-limit' }
  /** 503 with an HTML page, as the org answers while down for maintenance or overloaded. */
  | { kind: 'unavailable' }
  /** 500 `UNKNOWN_EXCEPTION`. */
  | { kind: 'server-error' }
  /** 401 `INVALID_SESSION_ID` for this call, whatever the token (a session ended early, e.g. by an admin). */
  | { kind: 'session-expired' }
  /** Answer normally, this much later. */
  | { kind: 'delay'; ms: number }
  /** Close the connection without answering. */
  | { kind: 'drop-connection' }
  /** Store the record as usual, then close the connection without answering: an accepted write whose answer was lost. */
  | { kind: 'accept-then-drop' };

/** A custom field of the simulated Lead object. */
export interface SalesforceCustomField {
  /** API name, ending in `__c`. */
  name: string;
  type: 'string' | 'textarea' | 'phone' | 'email' | 'picklist' | 'double' | 'boolean' | 'datetime';
  /** Characters, for text types. Default 255. */
  length?: number;
  /** Marked "External ID" (and unique) in Setup, so it can key an upsert. */
  externalId?: boolean;
  label?: string;
}

export interface SimulatedSalesforceOptions {
  clientId?: string;
  clientSecret?: string;
  /** Custom fields of Lead; default one external id field `Alimama_Lead_Id__c` (Text 40, unique, External ID). */
  customFields?: readonly SalesforceCustomField[];
  /** How long an access token works. Default 2 hours (the org's default session timeout). */
  tokenLifetimeMs?: number;
  /**
   * The org's API request allocation: at most `requests` REST calls served in any `windowMs`
   * (default 24 hours, the rolling window Salesforce counts in); further calls get 403
   * `REQUEST_LIMIT_EXCEEDED`, and every served call reports its usage in `Sforce-Limit-Info`.
   * Default: no limit and no header.
   */
  apiRequestLimit?: { requests: number; windowMs?: number };
  /** Added to every REST call. */
  latencyMs?: number;
  now?: () => number;
  host?: string;
  port?: number;
}

/** What the org saw and did, per call. No token, secret or field value is kept. */
export interface SalesforceRequestRecord {
  seq: number;
  kind: 'token' | 'upsert' | 'other';
  method: string;
  /** The path without its query; for an upsert it names the external id value (a lead id, not personal data). */
  path: string;
  status: number;
  /** The first `errorCode` (REST) or `error` (OAuth) answered, if any. */
  errorCode?: string;
  fault?: SalesforceFault['kind'];
  /** `created` or `updated`, when an upsert stored something. */
  outcome?: 'created' | 'updated';
}

/** A Lead held by the org. */
export interface SalesforceLeadRecord {
  /** 18-character record id, `00Q…`. */
  id: string;
  /** The fields as stored, keyed by their API names as defined (whatever case the request used). */
  fields: Readonly<Record<string, string | number | boolean | null>>;
  /** How many upserts wrote to this record (1 = created and never updated). */
  writes: number;
}

export interface SimulatedSalesforce extends SimulatorControls<SalesforceRequestRecord> {
  /** The My Domain URL to configure as `instanceUrl` (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Every Lead, in creation order. */
  readonly records: readonly SalesforceLeadRecord[];
  /** Successful token grants so far. */
  readonly tokensIssued: number;
  /** The Lead whose external id `field` holds `value` (matched case-insensitively, as the org does). */
  recordByExternalId(field: string, value: string): SalesforceLeadRecord | undefined;
  /**
   * Faults for the next REST calls the org serves, one per call, in order; they win over
   * setFault. A call refused for its session (401) or for the request limit (403) takes none.
   */
  queueFault(...faults: SalesforceFault[]): void;
  setFault(fault: SalesforceFault | undefined): void;
  /** Ends every session issued so far, as a session timeout or an admin's revocation would. */
  expireAllTokens(): void;
  /** Refuses token grants with `invalid_client` while true, as after the secret was rotated in Setup. */
  setCredentialsRevoked(revoked: boolean): void;
}

export const SIMULATED_SALESFORCE_CLIENT_ID = '3MVG9simulated.consumer.key';
export const SIMULATED_SALESFORCE_CLIENT_SECRET = 'simulated-consumer-secret';
export const DEFAULT_EXTERNAL_ID_FIELD = 'Alimama_Lead_Id__c';

const JSON_TYPE = 'application/json;charset=UTF-8';
const TWO_HOURS_MS = 2 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** The first API version whose upsert answers say `created` and whose update answers 200 with a body. */
const CREATED_FLAG_VERSION = 46;

type FieldType = SalesforceCustomField['type'] | 'id' | 'reference';
interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length?: number;
  createable: boolean;
  required?: boolean;
  externalId?: boolean;
  defaultOnCreate?: string;
}

/** The standard Lead fields the simulator knows, with the types and lengths of the field reference. */
const STANDARD_LEAD_FIELDS: readonly FieldDef[] = [
  { name: 'Id', label: 'Lead ID', type: 'id', createable: false },
  { name: 'Salutation', label: 'Salutation', type: 'picklist', length: 40, createable: true },
  { name: 'FirstName', label: 'First Name', type: 'string', length: 40, createable: true },
  { name: 'MiddleName', label: 'Middle Name', type: 'string', length: 40, createable: true },
  { name: 'LastName', label: 'Last Name', type: 'string', length: 80, createable: true, required: true },
  { name: 'Suffix', label: 'Suffix', type: 'string', length: 40, createable: true },
  { name: 'Title', label: 'Title', type: 'string', length: 128, createable: true },
  { name: 'Company', label: 'Company', type: 'string', length: 255, createable: true, required: true },
  { name: 'Street', label: 'Street', type: 'textarea', length: 255, createable: true },
  { name: 'City', label: 'City', type: 'string', length: 40, createable: true },
  { name: 'State', label: 'State/Province', type: 'string', length: 80, createable: true },
  { name: 'PostalCode', label: 'Zip/Postal Code', type: 'string', length: 20, createable: true },
  { name: 'Country', label: 'Country', type: 'string', length: 80, createable: true },
  { name: 'Phone', label: 'Phone', type: 'phone', length: 40, createable: true },
  { name: 'MobilePhone', label: 'Mobile', type: 'phone', length: 40, createable: true },
  { name: 'Fax', label: 'Fax', type: 'phone', length: 40, createable: true },
  { name: 'Email', label: 'Email', type: 'email', length: 80, createable: true },
  { name: 'Website', label: 'Website', type: 'string', length: 255, createable: true },
  { name: 'Description', label: 'Description', type: 'textarea', length: 32_000, createable: true },
  { name: 'LeadSource', label: 'Lead Source', type: 'picklist', length: 40, createable: true },
  { name: 'Status', label: 'Status', type: 'picklist', length: 40, createable: true, defaultOnCreate: 'Open - Not Contacted' },
  { name: 'Industry', label: 'Industry', type: 'picklist', length: 40, createable: true },
  { name: 'Rating', label: 'Rating', type: 'picklist', length: 40, createable: true },
  { name: 'OwnerId', label: 'Owner ID', type: 'reference', length: 18, createable: true },
  { name: 'CreatedDate', label: 'Created Date', type: 'datetime', createable: false },
  { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime', createable: false },
];

/** One REST error element, as Salesforce writes it. */
interface RestError {
  message: string;
  errorCode: string;
  fields?: string[];
}

/** Thrown inside the simulator only: the org's answer to a request it refuses. */
class RestRefusal extends Error {
  constructor(
    readonly status: number,
    readonly errors: RestError[],
  ) {
    super(errors[0]?.errorCode ?? 'refused');
  }
}

interface Session {
  issuedAt: number;
}

/** Starts the org on a free loopback port. `close()` ends every open connection and pending delay. */
export async function startSimulatedSalesforce(options: SimulatedSalesforceOptions = {}): Promise<SimulatedSalesforce> {
  return new Org(options).listen(options);
}

class Org extends HttpSimulator<SalesforceRequestRecord> implements SimulatedSalesforce {
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly fields = new Map<string, FieldDef>(); // keyed by lower-case API name
  private readonly held: SalesforceLeadRecord[] = [];
  private readonly byExternalId = new Map<string, SalesforceLeadRecord>(); // `${field}\n${value}`, lower case
  private readonly sessions = new Map<string, Session>();
  private readonly faults = new FaultQueue<SalesforceFault>();
  private readonly allowance: RequestAllowance;
  private credentialsRevoked = false;
  private issued = 0;
  private readonly now: () => number;
  private readonly tokenLifetimeMs: number;
  private readonly latencyMs: number;

  constructor(options: SimulatedSalesforceOptions) {
    super('the simulated Salesforce org');
    this.clientId = options.clientId ?? SIMULATED_SALESFORCE_CLIENT_ID;
    this.clientSecret = options.clientSecret ?? SIMULATED_SALESFORCE_CLIENT_SECRET;
    this.now = options.now ?? Date.now;
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? TWO_HOURS_MS;
    this.latencyMs = options.latencyMs ?? 0;
    this.allowance = new RequestAllowance(options.apiRequestLimit);
    for (const field of STANDARD_LEAD_FIELDS) this.fields.set(field.name.toLowerCase(), field);
    const custom = options.customFields ?? [{ name: DEFAULT_EXTERNAL_ID_FIELD, type: 'string', length: 40, externalId: true }];
    for (const field of custom) {
      if (!field.name.endsWith('__c')) throw new RangeError(`a custom field's API name ends in __c, got ${field.name}`);
      this.fields.set(field.name.toLowerCase(), {
        name: field.name,
        label: field.label ?? field.name.slice(0, -3).replace(/_/g, ' '),
        type: field.type,
        length: field.length ?? (isText(field.type) ? 255 : undefined),
        createable: true,
        externalId: field.externalId,
      });
    }
  }

  get records(): readonly SalesforceLeadRecord[] {
    return [...this.held];
  }

  get tokensIssued(): number {
    return this.issued;
  }

  recordByExternalId(field: string, value: string): SalesforceLeadRecord | undefined {
    return this.byExternalId.get(externalKey(field, value));
  }

  queueFault(...faults: SalesforceFault[]): void {
    this.faults.queue(...faults);
  }

  setFault(fault: SalesforceFault | undefined): void {
    this.faults.set(fault);
  }

  expireAllTokens(): void {
    this.sessions.clear();
  }

  setCredentialsRevoked(revoked: boolean): void {
    this.credentialsRevoked = revoked;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://org');
    const record: SalesforceRequestRecord = {
      seq: this.log.nextSeq(),
      kind: 'other',
      method: req.method ?? '',
      path: url.pathname,
      status: 0,
    };
    this.log.add(record);
    if (url.pathname === '/services/oauth2/token') {
      record.kind = 'token';
      return this.token(req, body, record, res);
    }

    const route = /^\/services\/data\/v(\d+)\.(\d)\/sobjects\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (route !== null) record.kind = 'upsert';
    if (!(await this.http.hold(res, this.latencyMs))) return;

    // Filled once the session is known: the org reports its usage to its own callers only.
    const usage: Record<string, string> = {};
    const answer = (status: number, payload: unknown): void => {
      record.status = status;
      if (Array.isArray(payload) && isRecord(payload[0]) && typeof payload[0].errorCode === 'string') {
        record.errorCode = payload[0].errorCode;
      }
      if (status === 204) return void res.writeHead(204, usage).end();
      sendJson(res, status, JSON_TYPE, payload, usage);
    };

    // The session is checked before anything else. "Status Codes and Error Responses" answers
    // 401 INVALID_SESSION_ID for an expired or invalid session id or OAuth token; the page lists
    // no order of checks, but what the org does with a request (its limits, its records, who may
    // write them) belongs to an authenticated user, so a request without a valid session learns
    // nothing else: not whether it was well formed, nor the org's usage. It is not counted and
    // meets no queued fault, so a queued fault answers the next call the org serves, and a test
    // that queues one after ending the sessions knows its faults were answered.
    if (!this.sessionValid(req.headers.authorization)) {
      return answer(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    // "API Request Limits and Allocations": past the org's allocation every call is refused until
    // the usage of the window before it drops below the limit. A refused call is not served, so
    // it takes no fault.
    const allowed = this.allowance.take(this.now());
    Object.assign(usage, this.allowance.usageHeader());
    if (!allowed) return answer(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    const fault = this.faults.next();
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === 'delay' && !(await this.http.hold(res, fault.ms))) return;
    if (fault?.kind === 'drop-connection') return void req.socket.destroy();
    if (fault?.kind === 'session-expired') {
      return answer(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    if (fault?.kind === 'request-limit') {
      return answer(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    }
    if (fault?.kind === 'unavailable') {
      record.status = 503;
      res.writeHead(503, { 'content-type': 'text/html' });
      return void res.end(
        '<html><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>',
      );
    }
    if (fault?.kind === 'server-error') {
      return answer(500, [
        {
          message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${this.log.seq}-${randomBytes(4).toString('hex')} (-1)`,
          errorCode: 'UNKNOWN_EXCEPTION',
        },
      ]);
    }

    if (route === null) return answer(404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
    const [, major, , sobject, fieldName, rawValue] = route as unknown as [string, string, string, string, string, string];
    if (sobject.toLowerCase() !== 'lead') {
      return answer(404, [{ message: `The requested resource does not exist`, errorCode: 'NOT_FOUND' }]);
    }
    if (req.method !== 'PATCH') {
      return answer(405, [
        {
          message: `HTTP Method '${req.method ?? ''}' not allowed. Allowed are GET,PATCH,DELETE,HEAD`,
          errorCode: 'METHOD_NOT_ALLOWED',
        },
      ]);
    }
    const keyName = safeDecode(fieldName);
    const externalValue = safeDecode(rawValue);
    if (keyName === undefined || externalValue === undefined) {
      return answer(400, [{ message: 'The URL is not properly encoded', errorCode: 'MALFORMED_ID' }]);
    }
    const keyField = this.fields.get(keyName.toLowerCase());
    if (keyField === undefined || keyField.externalId !== true) {
      return answer(404, [
        { message: `Provided external ID field does not exist or is not accessible: ${keyName}`, errorCode: 'NOT_FOUND' },
      ]);
    }
    try {
      const outcome = this.upsert(keyField, externalValue, req.headers['content-type'], body);
      record.outcome = outcome.created ? 'created' : 'updated';
      if (fault?.kind === 'accept-then-drop') return void req.socket.destroy();
      const version = Number(major);
      if (outcome.created) {
        return answer(201, {
          id: outcome.id,
          success: true,
          errors: [],
          ...(version >= CREATED_FLAG_VERSION ? { created: true } : {}),
        });
      }
      return version >= CREATED_FLAG_VERSION
        ? answer(200, { id: outcome.id, success: true, errors: [], created: false })
        : answer(204, undefined);
    } catch (error) {
      if (error instanceof RestRefusal) return answer(error.status, error.errors);
      throw error;
    }
  }

  private token(req: IncomingMessage, body: string, record: SalesforceRequestRecord, res: ServerResponse): void {
    const refuse = (status: number, error: string, description: string): void => {
      record.status = status;
      record.errorCode = error;
      sendJson(res, status, JSON_TYPE, { error, error_description: description });
    };
    if (req.method !== 'POST') return refuse(400, 'invalid_request', 'must use HTTP POST');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return refuse(400, 'invalid_request', 'invalid content type');
    }
    const form = new URLSearchParams(body);
    // RFC 6749 §2.3.1: the client may authenticate with HTTP Basic instead of the form.
    const basic = basicCredentials(req.headers.authorization);
    const clientId = basic?.id ?? form.get('client_id') ?? '';
    const clientSecret = basic?.secret ?? form.get('client_secret') ?? '';
    const grantType = form.get('grant_type');
    if (grantType === null || grantType === '') return refuse(400, 'unsupported_grant_type', 'grant type not supported');
    if (grantType !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'grant type not supported');
    if (!sameSecret(clientId, this.clientId)) return refuse(400, 'invalid_client_id', 'client identifier invalid');
    if (this.credentialsRevoked || !sameSecret(clientSecret, this.clientSecret)) {
      return refuse(400, 'invalid_client', 'invalid client credentials');
    }
    const orgId = '00D5g00000SIMORG';
    const accessToken = `${orgId}!${randomBytes(48).toString('base64url')}`;
    const issuedAt = this.now();
    this.sessions.set(accessToken, { issuedAt });
    this.issued += 1;
    record.status = 200;
    sendJson(res, 200, JSON_TYPE, {
      access_token: accessToken,
      signature: randomBytes(32).toString('base64'),
      scope: 'api',
      instance_url: this.url,
      id: `${this.url}/id/${orgId}AAA/0055g00000SIMUSRAAA`,
      token_type: 'Bearer',
      issued_at: String(issuedAt),
    });
  }

  private sessionValid(authorization: string | undefined): boolean {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (match === null) return false;
    const session = this.sessions.get(match[1]!);
    if (session === undefined) return false;
    if (this.now() - session.issuedAt >= this.tokenLifetimeMs) {
      this.sessions.delete(match[1]!);
      return false;
    }
    return true;
  }

  private upsert(
    keyField: FieldDef,
    externalValue: string,
    contentType: string | undefined,
    body: string,
  ): { id: string; created: boolean } {
    if (!(contentType ?? '').startsWith('application/json')) {
      throw new RestRefusal(415, [
        { message: `Unsupported media type: ${contentType ?? '(none)'}`, errorCode: 'UNSUPPORTED_MEDIA_TYPE' },
      ]);
    }
    const parsed = parseJson(body);
    if (parsed === undefined) {
      throw new RestRefusal(400, [
        { message: 'Unexpected character in the JSON body at input location [1,1]', errorCode: 'JSON_PARSER_ERROR' },
      ]);
    }
    if (!isRecord(parsed) || Array.isArray(parsed)) {
      throw new RestRefusal(400, [
        { message: 'Cannot deserialize instance of Lead from a value that is not an object', errorCode: 'JSON_PARSER_ERROR' },
      ]);
    }
    const keyValue = this.checkValue(keyField, externalValue);
    const existing = this.byExternalId.get(externalKey(keyField.name, externalValue));
    const values: Record<string, string | number | boolean | null> = {};
    for (const [name, value] of Object.entries(parsed)) {
      const field = this.fields.get(name.toLowerCase());
      if (field === undefined) {
        throw new RestRefusal(400, [
          {
            message: `No such column '${name}' on sobject of type Lead`,
            errorCode: 'INVALID_FIELD',
          },
        ]);
      }
      if (!field.createable) {
        throw new RestRefusal(400, [
          {
            message: `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            fields: [field.name],
          },
        ]);
      }
      // The key travels in the URL; the same field in the body with another value would make
      // the record disagree with the URL that found it. (Salesforce's exact answer to this case
      // is not documented; the simulator refuses it so a connector never relies on it.)
      if (field === keyField && value !== externalValue) {
        throw new RestRefusal(400, [
          {
            message: `${field.label}: the body's value differs from the external id in the URL`,
            errorCode: 'INVALID_FIELD',
            fields: [field.name],
          },
        ]);
      }
      values[field.name] = this.checkValue(field, value);
    }
    const merged: Record<string, string | number | boolean | null> = existing === undefined ? {} : { ...existing.fields };
    Object.assign(merged, values);
    merged[keyField.name] = keyValue;
    if (existing === undefined) {
      for (const field of this.fields.values()) {
        if (field.defaultOnCreate !== undefined && (merged[field.name] ?? null) === null)
          merged[field.name] = field.defaultOnCreate;
      }
    }
    const missing = [...this.fields.values()]
      .filter((field) => field.required === true && (merged[field.name] ?? '') === '')
      .map((field) => field.name);
    if (missing.length > 0) {
      throw new RestRefusal(400, [
        { message: `Required fields are missing: [${missing.join(', ')}]`, errorCode: 'REQUIRED_FIELD_MISSING', fields: missing },
      ]);
    }
    if (existing !== undefined) {
      const updated: SalesforceLeadRecord = { id: existing.id, fields: merged, writes: existing.writes + 1 };
      this.held[this.held.indexOf(existing)] = updated;
      this.byExternalId.set(externalKey(keyField.name, externalValue), updated);
      return { id: existing.id, created: false };
    }
    const id = leadRecordId(this.held.length + 1);
    const created: SalesforceLeadRecord = { id, fields: { Id: id, ...merged }, writes: 1 };
    this.held.push(created);
    this.byExternalId.set(externalKey(keyField.name, externalValue), created);
    return { id, created: true };
  }

  /** The value as the org would store it, or the refusal it would answer. */
  private checkValue(field: FieldDef, value: unknown): string | number | boolean | null {
    if (value === null) return null;
    if (isText(field.type) || field.type === 'reference') {
      if (typeof value !== 'string') {
        throw new RestRefusal(400, [
          {
            message: `Cannot deserialize instance of ${field.type} from ${jsonKind(value)} value for field ${field.name}`,
            errorCode: 'JSON_PARSER_ERROR',
          },
        ]);
      }
      const length = [...value].length;
      if (field.length !== undefined && length > field.length) {
        // Salesforce quotes the value it refused; the connector must keep that out of its logs.
        throw new RestRefusal(400, [
          {
            message: `${field.label}: data value too large: ${value} (max length=${field.length})`,
            errorCode: 'STRING_TOO_LONG',
            fields: [field.name],
          },
        ]);
      }
      if (field.type === 'email' && value !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
        throw new RestRefusal(400, [
          {
            message: `${field.label}: invalid email address: ${value}`,
            errorCode: 'INVALID_EMAIL_ADDRESS',
            fields: [field.name],
          },
        ]);
      }
      return value;
    }
    if (field.type === 'double') {
      if (typeof value !== 'number') {
        throw new RestRefusal(400, [
          {
            message: `Cannot deserialize instance of double from ${jsonKind(value)} value for field ${field.name}`,
            errorCode: 'JSON_PARSER_ERROR',
          },
        ]);
      }
      return value;
    }
    if (field.type === 'boolean') {
      if (typeof value !== 'boolean') {
        throw new RestRefusal(400, [
          {
            message: `Cannot deserialize instance of boolean from ${jsonKind(value)} value for field ${field.name}`,
            errorCode: 'JSON_PARSER_ERROR',
          },
        ]);
      }
      return value;
    }
    if (field.type === 'datetime') {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
        throw new RestRefusal(400, [
          {
            message: `Cannot deserialize instance of datetime from ${jsonKind(value)} value for field ${field.name}`,
            errorCode: 'JSON_PARSER_ERROR',
          },
        ]);
      }
      return value;
    }
    throw new RestRefusal(400, [
      {
        message: `Unable to create/update fields: ${field.name}.`,
        errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
        fields: [field.name],
      },
    ]);
  }
}

/**
 * The org's API request allocation over a rolling window, and its `Sforce-Limit-Info` header
 * (sources at the top of this file). Which calls count is not spelled out there; here every
 * call served past the session check does, whatever it answered, and a refused one does not.
 */
class RequestAllowance {
  /** When each counted call arrived, oldest first. */
  private readonly served: number[] = [];

  constructor(private readonly limit: { requests: number; windowMs?: number } | undefined) {
    if (limit !== undefined && (!Number.isInteger(limit.requests) || limit.requests < 1)) {
      throw new RangeError(`apiRequestLimit.requests must be a positive integer, got ${limit.requests}`);
    }
  }

  /** Counts a call arriving at `now`; false, and not counted, when the allocation is used up. */
  take(now: number): boolean {
    if (this.limit === undefined) return true;
    const windowMs = this.limit.windowMs ?? DAY_MS;
    while (this.served.length > 0 && this.served[0]! <= now - windowMs) this.served.shift();
    if (this.served.length >= this.limit.requests) return false;
    this.served.push(now);
    return true;
  }

  /** The header every served REST answer carries, when the org has a limit. */
  usageHeader(): Record<string, string> | undefined {
    if (this.limit === undefined) return undefined;
    return { 'sforce-limit-info': `api-usage=${this.served.length}/${this.limit.requests}` };
  }
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function isText(type: FieldType): boolean {
  return type === 'string' || type === 'textarea' || type === 'phone' || type === 'email' || type === 'picklist';
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'START_ARRAY';
  if (typeof value === 'object') return 'START_OBJECT';
  if (typeof value === 'number') return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  return 'VALUE_STRING';
}

function externalKey(field: string, value: string): string {
  return `${field.toLowerCase()}\n${value.toLowerCase()}`;
}

/** An 18-character Lead id (key prefix `00Q`), distinct per record. */
function leadRecordId(n: number): string {
  return `00Q5g${n.toString(36).toUpperCase().padStart(10, '0')}SIM`;
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic (\S+)$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}
