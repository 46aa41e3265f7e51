import type { Problems } from '../../config/readers';
import type { IssuedToken } from '../auth/token-cache';
import type { LeadId } from '../../domain/ids';
import type { RenderedRequest } from '../formats/types';
import type { StandardPayload } from '../standard-payload';

/**
 * A connector (DESIGN §7) creates the lead in a CRM itself: like a payload format it renders a
 * request and reads the answer, and beyond that it has credentials that become an access token,
 * a default field mapping, an idempotency key of the vendor's own (so a re-send after an
 * unrecorded 2xx makes no second record), and an error table that says which vendor codes mean
 * "try again later", "get a new token" or "this record will never be accepted".
 *
 * A connector is parsed from the endpoint's settings once, at start (ConnectorDefinition.parse);
 * what that gives (ConnectorInstance) holds the validated settings in its closures, so the rest
 * of the pipeline never sees a vendor's setting names. The send loop (send.ts) is shared.
 */

/** Why a delivery did not go through, in words an operator acts on (metrics dimension, log field). */
export type ReasonClass =
  /** Credentials refused, token not issued, no permission on the object. */
  | 'auth'
  /** The vendor asked us to slow down. */
  | 'rate-limit'
  /** The record itself was refused: a missing, unknown or malformed field. */
  | 'rejected-field'
  /** The vendor's own trouble (5xx, "system busy"). */
  | 'vendor-error'
  /** No answer: timeout, connection refused or reset. */
  | 'network'
  /** The endpoint's settings name something the vendor does not have (a table, a field to key on). */
  | 'config';

export const REASON_CLASSES: readonly ReasonClass[] = [
  'auth',
  'rate-limit',
  'rejected-field',
  'vendor-error',
  'network',
  'config',
];

/** A vendor's answer as the connector reads it. `body` may be cut at the sender's limit. */
export interface VendorAnswer {
  status: number;
  body: string;
  /** The `Retry-After` header, when there was one. */
  retryAfter?: string;
}

/**
 * An access token and what came with it that later requests need (Salesforce's instance_url,
 * 纷享销客's corpId): the token cache's own type, so connectors share its renewal rules.
 */
export type AccessToken = IssuedToken;

/** What one answer of the vendor means for the lead. Reasons name codes and messages, never field values. */
export type ConnectorVerdict =
  /** `recordId`: where the lead landed (shown by send-test-lead and status). */
  | { outcome: 'delivered'; recordId?: string }
  /** The token was refused before its time: drop it, get a new one, send once more. */
  | { outcome: 'reauthenticate'; reason: string }
  | { outcome: 'retry'; reasonClass: ReasonClass; reason: string; retryAfterSeconds?: number }
  | { outcome: 'rejected'; reasonClass: ReasonClass; reason: string };

/** The answer to an optional look-up before create (for a vendor with no idempotency key of its own). */
export type LookupVerdict =
  { outcome: 'absent' } | { outcome: 'found'; recordId: string } | Exclude<ConnectorVerdict, { outcome: 'delivered' }>;

/**
 * How the endpoint's credentials become the token the record request carries:
 * - `fetched`: a token endpoint (Feishu, Salesforce, 纷享销客), its token cached per `key` and
 *   shared by every delivery of the process (auth/token-cache.ts);
 * - `static`: the settings hold the token itself (HubSpot's private-app token); `check --online`
 *   proves it with `probe`, a cheap authenticated read.
 */
export type TokenFlow =
  | {
      kind: 'fetched';
      /** Identifies the credentials (never contains a secret in clear: hash them). */
      key: string;
      request(): RenderedRequest;
      /** The token, or throws TokenRequestError naming the vendor's code (never the credentials). */
      read(answer: VendorAnswer): AccessToken;
    }
  | {
      kind: 'static';
      token: AccessToken;
      probe(): RenderedRequest;
      /** undefined when the probe proves the token; otherwise what is wrong (vendor code and message). */
      readProbe(answer: VendorAnswer): string | undefined;
    };

/** One lead as a connector writes it. */
export interface ConnectorRecord {
  /** The record's fields: the endpoint's `fields` expression's result, or the default mapping. */
  fields: Record<string, unknown>;
  leadId: LeadId;
  /** `lead_<id>` (`test_<id>` for a test lead): with the endpoint's name, the seed of idempotency keys. */
  webhookId: string;
  endpointName: string;
}

/** A connector with its settings validated: what an Endpoint of a connector format carries. */
export interface ConnectorInstance {
  /** Shown where other endpoints show their url (check, status, logs): the vendor's host and object, no secret. */
  readonly target: string;
  readonly token: TokenFlow;
  /** The record's fields when the endpoint has no `fields` expression. */
  defaultFields(payload: StandardPayload): Record<string, unknown>;
  /** Optional: finds a record this lead already made, before creating one. */
  lookup?: {
    request(record: ConnectorRecord, token: AccessToken): RenderedRequest;
    read(answer: VendorAnswer): LookupVerdict;
  };
  /**
   * Optional: creates with the same lane key are sent one at a time by this process, for a
   * vendor that refuses concurrent writes to one object (write-lanes.ts).
   */
  readonly writeLane?: string;
  /** The create (or upsert) request; pure: the same record and token give the same request. */
  renderRecord(record: ConnectorRecord, token: AccessToken): RenderedRequest;
  /**
   * `record` is the one the request was rendered from (send.ts always passes it), so that a
   * connector can keep the values it sent out of a reason when the vendor's message quotes them.
   */
  readAnswer(answer: VendorAnswer, record?: ConnectorRecord): ConnectorVerdict;
}

/** A connector format: its own setting names, and how they are validated into an instance. */
export interface ConnectorDefinition {
  /** Setting names beyond every endpoint's `name`, `format`, `timeoutMs`, `filter` and `fields`. */
  readonly keys: readonly string[];
  /** Those among `keys` whose values are secrets (masked by `check`, never logged). */
  readonly secretKeys: readonly string[];
  /** Adds a problem per bad setting (labelled `${where}.<key>`) and returns undefined if there was any. */
  parse(value: Record<string, unknown>, where: string, problems: Problems): ConnectorInstance | undefined;
}
