import { setImmediate } from 'node:timers/promises';
import { PagingContractError } from '../shared/domain/errors';
import { compareIds, maxId, type LeadId } from '../shared/domain/ids';
import type { Lead } from '../shared/domain/lead';
import type { StartFrom } from '../shared/domain/settings';
import {
  LeadSourceRateLimitedError,
  LeadSourceTransientError,
  type LeadPage,
  type LeadQueue,
  type LeadSource,
  type ScanProgress,
  type SourceState,
  type StateStore,
} from './ports';

/** How many of the highest handled ids the lookback re-reads each cycle (DESIGN §2.6). */
export const LOOKBACK_IDS = 20;

export interface PollDeps {
  source: LeadSource;
  state: StateStore;
  queue: LeadQueue;
  now?: () => number;
}

export interface PollOptions {
  pageSize: number;
  startFrom: StartFrom;
  /** Epoch ms after which no new page is started (the invocation's time budget). */
  deadline: number;
}

export interface PollResult {
  pages: number;
  fetched: number;
  enqueued: number;
  /** Lead ids enqueued, in enqueue order (for logs: ids only, never contents). */
  enqueuedIds: LeadId[];
  /** Problems of unreadable records met above the cursor: each is reported by the scan that first passes it. */
  rejected: string[];
  cursor: LeadId | null;
  scanInProgress: boolean;
  /** Why the cycle ended before the scan did; absent when the scan completed. */
  stoppedEarly?: 'deadline' | 'rate-limited';
  /** With `rate-limited`: how long the source said its ban lasts (ms), when it said. */
  retryAfterMs?: number;
  cursorAt?: string;
}

/**
 * Enqueues every lead above the cursor, newest page first, then moves the cursor to the
 * scan's top. The scan state is written only after its page is on the queue, and every write
 * is conditional on the version read, so a crash re-sends and never skips, and a concurrent
 * poller gets a StateConflictError instead of moving the cursor backwards.
 */
export async function poll(deps: PollDeps, opts: PollOptions): Promise<PollResult> {
  const now = deps.now ?? Date.now;
  let state = await deps.state.load();
  const result: PollResult = {
    pages: 0,
    fetched: 0,
    enqueued: 0,
    enqueuedIds: [],
    rejected: [],
    cursor: state.cursor ?? null,
    scanInProgress: state.scan !== undefined,
  };
  if (state.cursorAt !== undefined) result.cursorAt = state.cursorAt;
  const fetch = (offset?: LeadId): Promise<LeadPage> => {
    const request =
      offset === undefined
        ? { pageSize: opts.pageSize, deadline: opts.deadline }
        : { offset, pageSize: opts.pageSize, deadline: opts.deadline };
    return deps.source.fetchPage(request);
  };

  let pending: Promise<LeadPage> = fetch(state.scan?.next);
  let prefetched = false;
  for (;;) {
    let page: LeadPage;
    try {
      page = await pending;
    } catch (error) {
      // A rate limit ends the cycle early; the next cycle resumes the scan.
      if (error instanceof LeadSourceRateLimitedError)
        return {
          ...result,
          stoppedEarly: 'rate-limited',
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        };
      // A page fetched ahead had only what was left of the budget: a transient failure once it ran
      // out is the deadline stopping the cycle (the scan is saved up to the last page), not a
      // failing gateway. A permanent one (an expired session) surfaces now all the same.
      if (prefetched && now() >= opts.deadline && error instanceof LeadSourceTransientError)
        return { ...result, stoppedEarly: 'deadline' };
      throw error;
    }
    result.pages += 1;
    result.fetched += page.leads.length;
    const step = planStep(state, page, opts, new Date(now()).toISOString());
    result.rejected.push(...step.rejected);
    // Fetch the following page while this one is enqueued: the next offset is already known.
    const more = step.next !== undefined && now() < opts.deadline;
    if (more) {
      pending = fetch(step.next);
      prefetched = true;
      pending.catch(() => undefined); // awaited on the next turn; a crash before then must not be unhandled
      // Let that request reach the wire before the enqueue's serializing and signing takes the
      // CPU: pages are the scan's critical path, and without this turn the request waited ~8 ms.
      await setImmediate();
    }
    if (step.enqueue.length > 0) {
      await deps.queue.enqueue(step.enqueue, new Date(now()).toISOString());
      result.enqueued += step.enqueue.length;
      result.enqueuedIds.push(...step.enqueue.map((lead) => lead.id));
    }
    state = await deps.state.save(step.update, state.version);
    result.cursor = state.cursor ?? null;
    result.scanInProgress = state.scan !== undefined;
    if (state.cursorAt !== undefined) result.cursorAt = state.cursorAt;
    if (step.next === undefined) return result;
    if (!more) return { ...result, stoppedEarly: 'deadline' };
  }
}

interface PageStep {
  enqueue: Lead[];
  /** Problems of the page's unreadable records that lie above the floor (new ones). */
  rejected: string[];
  update: Omit<SourceState, 'version'>;
  /** The offset of the following page; absent when this page ends the scan. */
  next?: LeadId;
}

/**
 * The pure heart of the scan: given the state and one page, what to enqueue and what to write.
 * Exported for table-driven tests.
 */
export function planStep(
  state: SourceState,
  page: LeadPage,
  opts: Pick<PollOptions, 'pageSize' | 'startFrom'>,
  nowIso: string,
): PageStep {
  const offset = state.scan?.next;
  checkOrder(page, offset);
  const ids = page.leads.map((lead) => lead.id);
  const { cursor, seen } = state;

  let scan: ScanProgress;
  if (state.scan !== undefined) scan = state.scan;
  else {
    const top = ids[0];
    if (top === undefined) {
      // Nothing newer than nothing. `cursorAt` records that the first run happened (the cursor
      // stays unset: no lead was seen), so the next run does not start over.
      return { enqueue: [], rejected: page.rejected.map((r) => r.problem), update: { ...withoutScan(state), cursorAt: nowIso } };
    }
    const newCursor = cursor === undefined ? undefined : maxId(cursor, top);
    // After a first run that found no lead, every lead is new: `latest` meant "none of those".
    const floor = cursor ?? firstFloor(opts.startFrom, state.cursorAt === undefined ? top : '0');
    scan = { top: newCursor ?? top, floor, seen: highest(ids, LOOKBACK_IDS) };
  }

  // Repeats: an inclusive offset returns the previous page's lowest id again.
  const fresh = offset === undefined ? page.leads : page.leads.filter((lead) => compareIds(lead.id, offset) < 0);
  // The lookback window: (lowest handled id kept in `seen`, cursor]. Empty `seen` (first run,
  // or just after an operator reset the cursor) means no lookback this cycle.
  const windowLow = cursor === undefined ? undefined : seen.at(-1);
  const seenSet = new Set(seen);
  const enqueue = fresh.filter((lead) => {
    if (compareIds(lead.id, scan.floor) > 0) return true;
    // An id at or below the cursor that was not handled before was committed late.
    return windowLow !== undefined && compareIds(lead.id, windowLow) > 0 && !seenSet.has(lead.id);
  });

  // A record without an id lies below `below` (or the offset): above the floor it may be new.
  const rejected = page.rejected
    .filter((r) => {
      const upper = r.below ?? offset;
      return upper === undefined || compareIds(upper, scan.floor) > 0;
    })
    .map((r) => r.problem);

  const lowest = fresh.at(-1)?.id;
  const stopAt = windowLow ?? scan.floor;
  const reachedEnd = page.rawCount < opts.pageSize || (lowest !== undefined && compareIds(lowest, stopAt) <= 0);
  if (reachedEnd) {
    // `startFrom: <id>` above every existing lead still means "nothing at or below that id".
    const newCursor = maxId(cursor ?? scan.floor, scan.top);
    // Handled: what `seen` had, and what this scan read above its lower end (forwarded, or in the
    // window). Not ids at or below it: those were never forwarded (below a first run's `startFrom`,
    // or older than the window), and counting them would open a window down to them next time.
    const read = [...scan.seen, ...fresh.map((lead) => lead.id)].filter((id) => compareIds(id, stopAt) > 0);
    const handled = [...seen, ...read].filter((id) => compareIds(id, newCursor) <= 0);
    return { enqueue, rejected, update: { cursor: newCursor, seen: highest(handled, LOOKBACK_IDS), cursorAt: nowIso } };
  }
  if (lowest === undefined) {
    const where = offset === undefined ? 'the newest page' : `the page at offset ${offset}`;
    throw new PagingContractError(
      `no progress: ${where} was full (${page.rawCount} rows) but brought no new lead id to continue from (page size ${opts.pageSize}); stopping instead of looping`,
    );
  }
  // The highest ids of the scan so far: with pages smaller than the lookback, they span pages.
  const scanSeen = highest([...scan.seen, ...fresh.map((lead) => lead.id)], LOOKBACK_IDS);
  const update: Omit<SourceState, 'version'> = { ...withoutScan(state), scan: { ...scan, next: lowest, seen: scanSeen } };
  return { enqueue, rejected, update, next: lowest };
}

/** Ids strictly descending and none above the offset, or the scan could skip leads. */
function checkOrder(page: LeadPage, offset: LeadId | undefined): void {
  const ids = page.leads.map((lead) => lead.id);
  for (let i = 1; i < ids.length; i += 1) {
    if (compareIds(ids[i]!, ids[i - 1]!) >= 0) {
      throw new PagingContractError(
        `ids are not descending (${ids[i - 1]} then ${ids[i]}${offset === undefined ? '' : ` at offset ${offset}`}); stopping instead of skipping leads`,
      );
    }
  }
  if (offset !== undefined && ids[0] !== undefined && compareIds(ids[0], offset) > 0) {
    throw new PagingContractError(
      `the page at offset ${offset} returned id ${ids[0]} above it; stopping instead of skipping leads`,
    );
  }
}

function firstFloor(startFrom: StartFrom, top: LeadId): LeadId {
  switch (startFrom.kind) {
    case 'latest':
      return top;
    case 'all':
      return '0';
    case 'id':
      return startFrom.id;
  }
}

function withoutScan(state: SourceState): Omit<SourceState, 'version'> {
  const { version: _version, scan: _scan, ...rest } = state;
  return rest;
}

function highest(ids: LeadId[], count: number): LeadId[] {
  return [...new Set(ids)].sort((a, b) => compareIds(b, a)).slice(0, count);
}

/**
 * Whether a cycle counts as a successful poll (the PollSucceeded metric, which the "no successful
 * poll" alarm watches): a cycle a rate limit stopped before its first page pulled nothing, and a
 * ban lasting hours must not look like a healthy poller.
 */
export function isSuccessfulPoll(result: Pick<PollResult, 'stoppedEarly' | 'pages'>): boolean {
  return !(result.stoppedEarly === 'rate-limited' && result.pages === 0);
}
