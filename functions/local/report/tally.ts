import type { PollSummary } from '../../poller/handler';
import type { RecordOutcome } from './delivery-outcomes';

/** Counts per endpoint since the runner started. */
export interface EndpointCounts {
  delivered: number;
  /** Leads waiting for another attempt at this endpoint right now. */
  retrying: number;
  /** Attempts that will be retried, cumulative. */
  retried: number;
  /** Leads parked in the DLQ without reaching this endpoint. */
  dead: number;
  /** Leads the endpoint's filter kept out (DESIGN §7): settled, nothing sent. */
  skipped: number;
  /** Lead age at delivery (s) of the most recent deliveries, oldest first (at most RECENT_AGES). */
  recentAges?: number[];
}

/** How many recent deliveries the age figures of the status line cover. */
export const RECENT_AGES = 100;

export interface TallySnapshot {
  polls: number;
  pollErrors: number;
  fetched: number;
  enqueued: number;
  cursor: string | null;
  /** Messages parked in the DLQ. */
  parked: number;
  endpoints: Record<string, EndpointCounts>;
}

/**
 * The runner's running totals: polls from the poller's summaries, deliveries from the batch
 * outcomes. (lead, endpoint) pairs are counted once each when they settle; a pair waiting for
 * a retry is tracked until it does, so `retrying` is a live gauge.
 */
export class Tally {
  private polls = 0;
  private pollErrors = 0;
  private fetched = 0;
  private enqueued = 0;
  private cursor: string | null = null;
  private parked = 0;
  private readonly counts = new Map<string, EndpointCounts>();
  /** `lead id \0 endpoint` of every pair waiting for a retry. */
  private readonly waiting = new Set<string>();

  constructor(endpoints: readonly string[]) {
    for (const name of endpoints) this.counts.set(name, { delivered: 0, retrying: 0, retried: 0, dead: 0, skipped: 0 });
  }

  poll(summary: PollSummary): void {
    this.polls += 1;
    this.fetched += summary.fetched;
    this.enqueued += summary.enqueued;
    this.cursor = summary.cursor;
  }

  pollFailed(): void {
    this.polls += 1;
    this.pollErrors += 1;
  }

  batch(outcomes: readonly RecordOutcome[]): void {
    for (const record of outcomes) {
      if (record.settled && record.pairs.some((pair) => pair.state === 'failed')) this.parked += 1;
      for (const pair of record.pairs) {
        const counts = this.countsOf(pair.endpoint);
        const key = `${record.leadId ?? record.messageId}\u0000${pair.endpoint}`;
        const wasWaiting = this.waiting.delete(key);
        if (pair.state === 'pending') {
          this.waiting.add(key);
          counts.retried += 1;
        } else if (pair.state === 'delivered') {
          counts.delivered += 1;
          if (pair.ageSeconds !== undefined)
            counts.recentAges = [...(counts.recentAges ?? []), pair.ageSeconds].slice(-RECENT_AGES);
        } else if (pair.state === 'failed') counts.dead += 1;
        else if (pair.state === 'skipped') counts.skipped += 1;
        counts.retrying += (pair.state === 'pending' ? 1 : 0) - (wasWaiting ? 1 : 0);
      }
    }
  }

  snapshot(): TallySnapshot {
    const endpoints: Record<string, EndpointCounts> = {};
    for (const [name, counts] of this.counts)
      endpoints[name] = counts.recentAges === undefined ? { ...counts } : { ...counts, recentAges: [...counts.recentAges] };
    return {
      polls: this.polls,
      pollErrors: this.pollErrors,
      fetched: this.fetched,
      enqueued: this.enqueued,
      cursor: this.cursor,
      parked: this.parked,
      endpoints,
    };
  }

  private countsOf(name: string): EndpointCounts {
    let counts = this.counts.get(name);
    if (counts === undefined) {
      counts = { delivered: 0, retrying: 0, retried: 0, dead: 0, skipped: 0 };
      this.counts.set(name, counts);
    }
    return counts;
  }
}

/** The `--once` summary (DESIGN §4, §6): its last stdout line. */
export interface OnceSummary {
  enqueued: number;
  /** (lead, endpoint) deliveries that got a 2xx. */
  delivered: number;
  /** (lead, endpoint) deliveries that ended in the DLQ. */
  failed: number;
  /** (lead, endpoint) pairs an endpoint's filter kept out: nothing sent (DESIGN §7). */
  skipped: number;
  cursor: string | null;
  /** Attempts that were retried. */
  retried: number;
  /** Messages parked in the DLQ. */
  parked: number;
  error?: string;
}

export function onceSummary(tally: TallySnapshot, cursor: string | null, error?: string): OnceSummary {
  const all = Object.values(tally.endpoints);
  const sum = (pick: (counts: EndpointCounts) => number): number => all.reduce((total, counts) => total + pick(counts), 0);
  const summary: OnceSummary = {
    enqueued: tally.enqueued,
    delivered: sum((c) => c.delivered),
    failed: sum((c) => c.dead),
    skipped: sum((c) => c.skipped),
    cursor,
    retried: sum((c) => c.retried),
    parked: tally.parked,
  };
  return error === undefined ? summary : { ...summary, error };
}
