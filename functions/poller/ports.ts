import { LeadForwarderError } from '../shared/domain/errors';
import type { LeadId } from '../shared/domain/ids';
import type { Lead } from '../shared/domain/lead';

/** What the scan needs from the outside world; adapters live in shared/taobao and shared/aws. */

export interface LeadPage {
  /** Rows as returned, before dropping repeats or rejected records: a short page ends the scan. */
  rawCount: number;
  /** Normalized leads in the order the API returned them. */
  leads: Lead[];
  /**
   * Records that could not be normalized (no id): reported, not forwarded. `below` is the id of
   * the nearest readable lead above the record on the page (absent for a record above them all):
   * it places the record, so that it is reported once, not every time its page is read again.
   */
  rejected: { problem: string; below?: LeadId }[];
  requestId?: string;
  /** Cosmetic problems with accepted leads (a field left out): lead id and field only. */
  warnings?: { leadId: LeadId; problem: string }[];
}

export interface LeadSource {
  /**
   * One page, newest first; `offset` continues toward older ids. Throws
   * LeadSourceRateLimitedError or LeadSourceTransientError when calling again later can help;
   * anything else it throws is permanent (until a person acts).
   */
  fetchPage(request: { offset?: LeadId; pageSize: number; deadline: number }): Promise<LeadPage>;
}

/**
 * The source refuses calls for a while (a rate limit, a ban): the cycle ends early and the next
 * resumes the scan. `cause` is the source's own error; the message is its message.
 */
export class LeadSourceRateLimitedError extends LeadForwarderError {
  override readonly name: string = 'LeadSourceRateLimitedError';
  /** How long the source said the refusal lasts (ms), when it said: sub-minute polling pauses for it (ticks.ts). */
  readonly retryAfterMs?: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** A failure that calling again later may cure (a timeout, "system busy"), after the source's own retries. */
export class LeadSourceTransientError extends LeadForwarderError {
  override readonly name: string = 'LeadSourceTransientError';
}

/** A scan in progress (DESIGN §2): `top` becomes the cursor when the scan reaches `floor`. */
export interface ScanProgress {
  top: LeadId;
  floor: LeadId;
  /** The offset for the following page (the lowest id read so far); absent before the first page. */
  next?: LeadId;
  /** The highest ids of the scan's first page, kept for the lookback window. */
  seen: LeadId[];
}

export interface SourceState {
  /** 0 when nothing was ever written; every write must name the version it read. */
  version: number;
  /** Every lead with id ≤ cursor has been enqueued. Absent before the first lead was seen. */
  cursor?: LeadId;
  scan?: ScanProgress;
  /** The highest ids at or below the cursor already handled: the lookback re-reads these. */
  seen: LeadId[];
  /** When the cursor was last brought up to date (ISO). */
  cursorAt?: string;
}

export type SourceStateUpdate = Omit<SourceState, 'version'>;

export interface StateStore {
  load(): Promise<SourceState>;
  /** Writes only if the stored version is still `expectedVersion`; else StateConflictError, nothing changed. */
  save(update: SourceStateUpdate, expectedVersion: number): Promise<SourceState>;
}

export interface LeadQueue {
  /** Resolves once every lead is on the queue; throws EnqueueError naming those that are not. */
  enqueue(leads: Lead[], seenAt: string): Promise<void>;
}
