import type { LeadMessage } from '../shared/domain/lead-message';
import type { ClaimResult } from '../shared/aws/ledger';
import type { LeadId } from '../shared/domain/ids';
import type { Endpoint } from '../shared/domain/settings';
import type { Delivery } from '../shared/webhook/delivery';

/** What one HTTP attempt to one endpoint came to (DESIGN §3). */
export interface AttemptResult {
  outcome: 'delivered' | 'gone' | 'retry' | 'reject';
  /** Safe to log: status, endpoint, a robot's error code; never the receiver's body. */
  reason: string;
  /** The start of the receiver's body when it did not accept: for the DLQ and test leads, never logs. */
  response?: string;
  status?: number;
  retryAfterSeconds?: number;
  latencyMs: number;
}

export interface Ledger {
  claim(leadId: LeadId, endpoint: string, leaseMs: number, replay: boolean): Promise<ClaimResult>;
  delivered(leadId: LeadId, endpoint: string, status: number): Promise<void>;
  rejected(leadId: LeadId, endpoint: string, token: string, reason: string): Promise<void>;
  release(leadId: LeadId, endpoint: string, token: string): Promise<void>;
}

export interface EndpointStatusStore {
  get(endpoint: Endpoint): Promise<{ goneAt?: string }>;
  markGone(endpoint: Endpoint, at: Date): Promise<void>;
  recordDeliveries(name: string, count: number, lastLeadId: LeadId, at: Date): Promise<void>;
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
