import { leadAgeQuantiles } from '../../forwarder/lead-age';
import type { PairOutcome, RecordOutcome } from './delivery-outcomes';
import type { TallySnapshot } from './tally';

/** Where the runner's human output goes: lines on stdout, problems on stderr, a live line on a TTY. */
export interface Reporter {
  /** A live status line is shown (stdout is a terminal). */
  readonly live: boolean;
  line(text: string): void;
  warn(text: string): void;
  /** Redraws the live status line (a no-op when stdout is not a terminal). */
  status(tally: TallySnapshot, queues?: QueueDepths): void;
  /** Lines worth printing about one forwarded batch. */
  batch(outcomes: readonly RecordOutcome[]): void;
  close(): void;
}

export interface QueueDepths {
  queued: number;
  dead: number;
}

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * A TTY gets one status line kept at the bottom (rewritten in place) with events printed above
 * it; anything else gets plain lines only, one per event, so logs and pipes stay readable.
 */
export function createReporter(out: Stream = process.stdout, err: Stream = process.stderr): Reporter {
  const live = out.isTTY === true;
  let statusText = '';
  const above = (stream: Stream, text: string): void => {
    if (live && statusText !== '') out.write(CLEAR_LINE);
    stream.write(`${text}\n`);
    if (live && statusText !== '') out.write(statusText);
  };
  return {
    live,
    line: (text) => above(out, text),
    warn: (text) => above(err, text),
    status: (tally, queues) => {
      if (!live) return;
      const text = statusLine(tally, queues);
      statusText = text.length > (out.columns ?? 120) - 1 ? `${text.slice(0, (out.columns ?? 120) - 2)}…` : text;
      out.write(`${CLEAR_LINE}${statusText}`);
    },
    batch: (outcomes) => {
      for (const text of batchLines(outcomes, live)) above(out, text);
    },
    close: () => {
      if (live && statusText !== '') out.write('\n');
      statusText = '';
    },
  };
}

/** Why a pair was refused or failed: 410 (from the endpoint's status), else the ledger's reason. */
function explain(pair: PairOutcome): string | undefined {
  if (pair.goneAt !== undefined) {
    return `it answered HTTP 410 Gone: marked GONE, no more deliveries to it until its url changes; \`lead-forwarder status\` shows it`;
  }
  return pair.reason;
}

/** `polls 3 · fetched 40 · enqueued 40 · cursor 222024 · queue 0 · dlq 0 | crm 38 ok, 2 retrying, 0 dead | …` */
export function statusLine(tally: TallySnapshot, queues?: QueueDepths): string {
  const head = [
    `polls ${tally.polls}${tally.pollErrors > 0 ? ` (${tally.pollErrors} failed)` : ''}`,
    `fetched ${tally.fetched}`,
    `enqueued ${tally.enqueued}`,
    `cursor ${tally.cursor ?? '-'}`,
  ];
  if (queues !== undefined) head.push(`queue ${queues.queued}`, `dlq ${queues.dead}`);
  // `skipped` only where a filter kept something out: most endpoints have no filter.
  const endpoints = Object.entries(tally.endpoints).map(
    ([name, c]) =>
      `${name} ${c.delivered} delivered, ${c.retrying} retrying, ${c.dead} dead${c.skipped > 0 ? `, ${c.skipped} skipped` : ''}${ageText(c.recentAges)}`,
  );
  return [head.join(' · '), ...endpoints].join(' | ');
}

/** `, age p50 2.8 s p95 4.9 s`: lead age at delivery (DESIGN §8) over the recent deliveries; nothing before the first. */
export function ageText(ages: readonly number[] | undefined): string {
  const quantiles = leadAgeQuantiles(ages);
  return quantiles === undefined ? '' : `, age p50 ${quantiles.p50.toFixed(1)} s p95 ${quantiles.p95.toFixed(1)} s`;
}

/**
 * Plain output: one line per batch with the totals per endpoint, plus one line per lead that
 * did not simply get delivered. On a TTY the status line carries the totals, so only the
 * exceptions are printed.
 */
export function batchLines(outcomes: readonly RecordOutcome[], live: boolean): string[] {
  const lines: string[] = [];
  const perEndpoint = new Map<string, Record<PairOutcome['state'], number>>();
  for (const record of outcomes) {
    for (const pair of record.pairs) {
      const counts = perEndpoint.get(pair.endpoint) ?? {
        delivered: 0,
        already: 0,
        pending: 0,
        refused: 0,
        failed: 0,
        skipped: 0,
      };
      counts[pair.state] += 1;
      perEndpoint.set(pair.endpoint, counts);
    }
    const lead = record.leadId === undefined ? `message ${record.messageId} (not a lead)` : `lead ${record.leadId}`;
    const pending = record.pairs.filter((pair) => pair.state === 'pending').map((pair) => pair.endpoint);
    const failed = record.pairs.filter((pair) => pair.state === 'failed');
    const refused = record.pairs
      .filter((pair) => pair.state === 'refused')
      .map((pair) => `${pair.endpoint} refused it${explain(pair) === undefined ? '' : ` (${explain(pair)})`}`);
    // Why an attempt failed is in the handlers' log (the forwarder logs it; the ledger keeps only refusals).
    if (pending.length > 0)
      lines.push(
        `${lead}: attempt ${record.receiveCount} failed for ${pending.join(', ')} (the handlers' log says why); retrying later${refused.length > 0 ? `; ${refused.join('; ')}` : ''}`,
      );
    if (failed.length > 0) {
      const why = failed.map((pair) => `${pair.endpoint} (${explain(pair) ?? "the handlers' log says why"})`).join('; ');
      // A gone endpoint has nothing to fix at its end: it needs a new url (or leaving out).
      const fix = failed.every((pair) => pair.goneAt !== undefined)
        ? 'give it its new url (or remove it from the config)'
        : 'fix the endpoint';
      lines.push(`${lead}: parked in the dead-letter queue, not delivered to ${why}; ${fix}, then run \`lead-forwarder replay\``);
    }
  }
  if (!live && outcomes.length > 0) {
    const parts = [...perEndpoint].map(([name, c]) =>
      [
        // An endpoint that had every lead of the batch already is not shown as "0 delivered".
        c.delivered > 0 || (c.already === 0 && c.skipped === 0) ? `${name} ${c.delivered} delivered` : `${name}`,
        c.already > 0 ? `${c.already} had it already` : '',
        c.skipped > 0 ? `${c.skipped} skipped` : '',
        c.pending > 0 ? `${c.pending} retrying` : '',
        c.refused > 0 ? `${c.refused} refused` : '',
        c.failed > 0 ? `${c.failed} dead` : '',
      ]
        .filter((p) => p !== '')
        .join(', '),
    );
    lines.unshift(`forwarded ${outcomes.length} lead${outcomes.length === 1 ? '' : 's'}: ${parts.join('; ')}`);
  }
  return lines;
}
