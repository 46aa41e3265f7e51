import type { LeadMessage } from '../shared/domain/lead-message';
import type { LeadId } from '../shared/domain/ids';
import type { Endpoint } from '../shared/domain/settings';
import type { Delivery } from '../shared/webhook/delivery';
import type { ReasonClass } from '../shared/webhook/connectors/types';

/**
 * What one HTTP attempt to one endpoint came to (DESIGN §3): accepted; gone for good (410);
 * to be tried again later; refused for good. The same words name it wherever it goes next
 * (the endpoint's result, the ledger, the logs, `send-test-lead`).
 */
export type Outcome = 'delivered' | 'gone' | 'retry' | 'rejected';

/** One HTTP attempt to one endpoint, as the `deliver` port reports it. */
export interface AttemptResult {
  outcome: Outcome;
  /** Safe to log: status, endpoint, a robot's error code; never the receiver's body. */
  reason: string;
  /** The start of the receiver's body when it did not accept: for the DLQ and test leads, never logs. */
  response?: string;
  status?: number;
  retryAfterSeconds?: number;
  latencyMs: number;
  /** Why it did not go through, for metrics and logs (auth, rate limit, a rejected field…). */
  reasonClass?: ReasonClass;
  /** A connector's record id: where the lead landed in the CRM. */
  recordId?: string;
}

/**
 * Where one endpoint stands with one lead after a receive: an attempt's Outcome, what the
 * ledger said before any attempt (already delivered; another forwarder sending it right now),
 * or `skipped`: the endpoint's filter did not let the lead through (settled, nothing sent).
 */
export type EndpointState = Outcome | 'already-delivered' | 'busy' | 'skipped';

export interface EndpointResult {
  endpoint: string;
  state: EndpointState;
  reason?: string;
  status?: number;
  latencyMs?: number;
  /** What the endpoint asked for (Retry-After, a robot's penalty) when it is to be retried. */
  retryAfterSeconds?: number;
  /** The start of its answer when it did not accept (never logged; goes with the lead to the DLQ). */
  response?: string;
  reasonClass?: ReasonClass;
  /** A connector's record id when it delivered. */
  recordId?: string;
  /** State `delivered`: the lead's age when the endpoint's answer arrived (lead-age.ts), when it has a usable gmt_create. */
  ageSeconds?: number;
  /** State `gone`: when the endpoint was marked gone (this attempt's 410, or the status item's). */
  goneAt?: string;
  /**
   * A ledger or status write that failed (after the SDK's retries) once the outcome was known.
   * The outcome stands for this batch (a 2xx is still a delivery), but the ledger still shows
   * the claim: a later copy of the lead (a retry for another endpoint, a replay) waits out the
   * lease and then sends to this endpoint again.
   */
  bookkeepingError?: string;
}

/** What a claim on (lead, endpoint) found in the ledger. */
export type ClaimResult =
  | { kind: 'claimed'; token: string }
  | { kind: 'delivered' }
  | { kind: 'rejected'; reason: string }
  /** Another forwarder is sending this lead to this endpoint right now. */
  | { kind: 'busy' };

export interface Ledger {
  claim(leadId: LeadId, endpoint: string, leaseMs: number, replay: boolean): Promise<ClaimResult>;
  /** Whether the endpoint has accepted the lead already (read only). */
  wasDelivered(leadId: LeadId, endpoint: string): Promise<boolean>;
  delivered(leadId: LeadId, endpoint: string, status: number): Promise<void>;
  rejected(leadId: LeadId, endpoint: string, token: string, reason: string): Promise<void>;
  release(leadId: LeadId, endpoint: string, token: string): Promise<void>;
}

/** What one batch delivered to one endpoint, for its status item (shown by `status`). */
export interface EndpointDeliveries {
  count: number;
  lastLeadId: LeadId;
  at: Date;
  /** The last connector record the batch made for this endpoint, when it is a connector. */
  lastRecordId?: string;
  /** The endpoint's recent lead ages (s), oldest first, this batch's last: replaces the stored ones. */
  recentAges?: number[];
}

export interface EndpointStatusStore {
  get(endpoint: Endpoint): Promise<{ goneAt?: string; recentAges?: number[] }>;
  markGone(endpoint: Endpoint, at: Date): Promise<void>;
  recordDeliveries(name: string, deliveries: EndpointDeliveries): Promise<void>;
}

export interface ForwarderQueue {
  /** Hides the message for `seconds` before its next receive (the retry backoff). */
  delay(receiptHandle: string, seconds: number): Promise<void>;
  /** Puts the message, body intact, in the DLQ with why and for which endpoints. */
  park(message: LeadMessage, reason: string, endpoints: string[]): Promise<void>;
}

export interface ForwardDeps {
  endpoints: Endpoint[];
  ledger: Ledger;
  endpointStatus: EndpointStatusStore;
  queue: ForwarderQueue;
  deliver(endpoint: Endpoint, delivery: Delivery): Promise<AttemptResult>;
  decryptMobile?: (ciphertext: string) => string | undefined;
  /** Receives after which a message that still has retries is parked instead (the redrive count). */
  maxReceiveCount: number;
  /** The leads queue's retention: a retry that would come after SQS drops the lead parks it instead. */
  leadsRetentionSeconds: number;
  /** Records processed at once. */
  concurrency: number;
  backoffSeconds(attempt: number, retryAfterSeconds: number | undefined): number;
  now?: () => number;
}
