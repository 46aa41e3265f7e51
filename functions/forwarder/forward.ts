import { parseLeadMessage, type LeadMessage, type ParsedLeadMessage } from '../shared/domain/lead-message';
import { MalformedMessageError, messageOf } from '../shared/domain/errors';
import type { LeadId } from '../shared/domain/ids';
import type { Lead } from '../shared/domain/lead';
import type { Endpoint } from '../shared/domain/settings';
import { prepareDelivery, type Prepared } from '../shared/webhook/prepare';
import { dispositionOf } from './disposition';
import { leadAgeSeconds } from './lead-age';
import { mapLimit } from './map-limit';
import type { AttemptResult, ClaimResult, EndpointResult, ForwardDeps } from './ports';

/** Extra lease beyond the endpoint's timeout, so a claim outlives the attempt that holds it. */
const LEASE_MARGIN_MS = 30_000;

export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  /** ApproximateReceiveCount: 1 on the first attempt. */
  receiveCount: number;
  message: LeadMessage;
}

export interface RecordResult {
  messageId: string;
  leadId?: LeadId;
  /** done: settled everywhere; retry: back on the queue after `delaySeconds`; parked: in the DLQ. */
  kind: 'done' | 'retry' | 'parked';
  delaySeconds?: number;
  reason?: string;
  endpoints: EndpointResult[];
  attempt: number;
  mobileDecryptFailed?: boolean;
  malformed?: boolean;
  /** The lead was to be parked but the DLQ send failed: it comes back, to be parked then (or by SQS's redrive). */
  parkFailed?: boolean;
}

export interface BatchResult {
  /** Message ids to report as `batchItemFailures`: they stay on the queue for a later attempt. */
  failures: string[];
  records: RecordResult[];
}

/**
 * Delivers a batch of lead messages to every endpoint. Each (lead, endpoint) is claimed in the
 * ledger before sending, so an endpoint that accepted a lead never receives it again, whatever
 * another endpoint does; retries go back through SQS visibility (no sleeping), and a lead that
 * cannot be delivered is parked in the DLQ with the reason, never dropped.
 */
export async function forwardBatch(deps: ForwardDeps, records: QueueRecord[]): Promise<BatchResult> {
  const now = deps.now ?? Date.now;
  /** Endpoint name → when it was marked gone (it answered 410). */
  const gone = new Map<string, string>();
  /** Endpoint name → its recent lead ages as stored, to which this batch's are added. */
  const ages = new Map<string, number[]>();
  await Promise.all(
    deps.endpoints.map(async (endpoint) => {
      const { goneAt, recentAges } = await deps.endpointStatus.get(endpoint);
      if (goneAt !== undefined) gone.set(endpoint.name, goneAt);
      if (recentAges !== undefined) ages.set(endpoint.name, recentAges);
    }),
  );
  const results = await mapLimit(records, deps.concurrency, (record) => forwardRecord(deps, record, gone, now));
  await recordDeliveries(deps, results, ages, now);
  return { failures: results.filter((r) => r.kind === 'retry').map((r) => r.messageId), records: results };
}

async function forwardRecord(
  deps: ForwardDeps,
  record: QueueRecord,
  gone: Map<string, string>,
  now: () => number,
): Promise<RecordResult> {
  const base = { messageId: record.messageId, attempt: record.receiveCount };
  let parsed: ParsedLeadMessage;
  try {
    parsed = parseLeadMessage(record.message);
  } catch (error) {
    if (!(error instanceof MalformedMessageError)) throw error;
    const reason = `malformed message: ${error.message}`;
    return park(
      deps,
      record,
      { ...base, kind: 'parked', reason, endpoints: [], malformed: true },
      reason,
      deps.endpoints.map((e) => e.name),
    );
  }
  const { lead, decryptFailed } = decrypt(deps, parsed.lead);
  const delivery = { lead, seenAt: parsed.seenAt };
  const replay = parsed.parkedReason !== undefined;

  const endpoints = await Promise.all(deps.endpoints.map((endpoint) => deliverOnce(deps, endpoint, delivery, replay, gone, now)));
  const result: RecordResult = { ...base, leadId: lead.id, kind: 'done', endpoints };
  if (decryptFailed) result.mobileDecryptFailed = true;

  const decision = dispositionOf(
    { endpoints, receiveCount: record.receiveCount, sentTimestamp: record.message.sentTimestamp, nowMs: now() },
    deps,
  );
  switch (decision.kind) {
    case 'done':
      return result;
    case 'retry':
      try {
        await deps.queue.delay(record.receiptHandle, decision.delaySeconds);
      } catch (error) {
        // Still a retry: the message comes back when its visibility timeout ends instead.
        return { ...result, kind: 'retry', reason: `${decision.reason}; setting the backoff failed (${messageOf(error)})` };
      }
      return { ...result, kind: 'retry', delaySeconds: decision.delaySeconds, reason: decision.reason };
    case 'parked':
      // The DLQ message holds the lead itself, so what the endpoints answered can go with it there.
      return park(deps, record, { ...result, kind: 'parked', reason: decision.reason }, decision.dlqReason, decision.endpoints);
  }
}

/**
 * Moves the record's message to the DLQ and returns `parked`. If that fails the message is not
 * deleted either: it is reported as a retry, comes back, and the ledger sends it nowhere twice.
 */
async function park(
  deps: ForwardDeps,
  record: QueueRecord,
  parked: RecordResult,
  parkedReason: string,
  endpoints: string[],
): Promise<RecordResult> {
  try {
    await deps.queue.park(record.message, parkedReason, endpoints);
  } catch (error) {
    return {
      ...parked,
      kind: 'retry',
      parkFailed: true,
      reason: `parking failed (${messageOf(error)}): ${parked.reason ?? parkedReason}`,
    };
  }
  return parked;
}

/** One endpoint, at most one HTTP attempt, guarded by the ledger claim. */
async function deliverOnce(
  deps: ForwardDeps,
  endpoint: Endpoint,
  delivery: { lead: Lead; seenAt: string },
  replay: boolean,
  gone: Map<string, string>,
  now: () => number,
): Promise<EndpointResult> {
  const name = endpoint.name;
  const goneAt = gone.get(name);
  if (goneAt !== undefined) {
    // A lead it accepted before it went (back for another endpoint's retry) needs nothing from
    // it: reporting it gone would park a lead that every endpoint has.
    try {
      if (await deps.ledger.wasDelivered(delivery.lead.id, name)) return { endpoint: name, state: 'already-delivered' };
    } catch (error) {
      return { endpoint: name, state: 'retry', reason: `${name}: the delivery ledger is unavailable (${messageOf(error)})` };
    }
    return { endpoint: name, state: 'gone', reason: `${name} answered 410 Gone earlier; change its url to resume`, goneAt };
  }
  // Expressions first (DESIGN §7): a lead the filter keeps out costs no claim and no request; one
  // an expression fails on is refused for this endpoint (parked with the reason), never dropped.
  let prepared: Prepared;
  try {
    prepared = await prepareDelivery(endpoint, delivery);
  } catch (error) {
    // Not the expression's own failure (that is a park): something unexpected, so try again later.
    return { endpoint: name, state: 'retry', reason: `${name}: ${messageOf(error)}` };
  }
  if (prepared.kind === 'skip') return { endpoint: name, state: 'skipped' };
  if (prepared.kind === 'park')
    // Out of time is retried like any transient failure: an endless expression still ends in the
    // DLQ, with this reason, once the lead's receives are spent; a late one goes through next time.
    return prepared.error.outOfTime
      ? { endpoint: name, state: 'retry', reason: prepared.reason }
      : { endpoint: name, state: 'rejected', reason: prepared.reason };
  let claim: ClaimResult;
  try {
    claim = await deps.ledger.claim(delivery.lead.id, name, endpoint.timeoutMs + LEASE_MARGIN_MS, replay);
  } catch (error) {
    // Nothing was sent: the lead comes back for this endpoint after the usual backoff.
    return { endpoint: name, state: 'retry', reason: `${name}: the delivery ledger is unavailable (${messageOf(error)})` };
  }
  if (claim.kind === 'delivered') return { endpoint: name, state: 'already-delivered' };
  if (claim.kind === 'rejected') return { endpoint: name, state: 'rejected', reason: claim.reason };
  if (claim.kind === 'busy') return { endpoint: name, state: 'busy', reason: `${name}: another attempt is in flight` };

  let attempt: AttemptResult;
  try {
    attempt = await deps.deliver(endpoint, prepared.delivery);
  } catch (error) {
    // The sender reports HTTP outcomes as data; anything thrown is unexpected, so retry later.
    attempt = { outcome: 'retry', reason: `${name}: ${messageOf(error)}`, latencyMs: 0 };
  }
  // The attempt's outcome is the endpoint's state: the same word from the classification on.
  const result: EndpointResult = {
    endpoint: name,
    state: attempt.outcome,
    status: attempt.status,
    latencyMs: attempt.latencyMs,
    response: attempt.response,
  };
  if (attempt.reasonClass !== undefined) result.reasonClass = attempt.reasonClass;
  if (attempt.recordId !== undefined) result.recordId = attempt.recordId;
  const leadId = delivery.lead.id;
  const token = claim.token;
  switch (attempt.outcome) {
    case 'delivered': {
      // Taken as the answer arrived (DESIGN §8), before the ledger write.
      const age = leadAgeSeconds(delivery.lead.gmt_create, now());
      return settle(age === undefined ? result : { ...result, ageSeconds: age }, () =>
        deps.ledger.delivered(leadId, name, attempt.status ?? 200),
      );
    }
    case 'rejected':
      return settle({ ...result, reason: attempt.reason }, () => deps.ledger.rejected(leadId, name, token, attempt.reason));
    case 'gone': {
      const at = new Date(now());
      gone.set(name, at.toISOString());
      return settle({ ...result, reason: attempt.reason, goneAt: at.toISOString() }, async () => {
        await deps.endpointStatus.markGone(endpoint, at);
        await deps.ledger.release(leadId, name, token);
      });
    }
    case 'retry':
      return settle({ ...result, reason: attempt.reason, retryAfterSeconds: attempt.retryAfterSeconds }, () =>
        deps.ledger.release(leadId, name, token),
      );
  }
}

/**
 * Writes what an attempt settled (the SDK client retries a throttled or failed call itself, see
 * shared/aws/clients.ts). The outcome is a fact by now (a 2xx cannot be undone), so a write that
 * still fails is reported with it rather than thrown: one throttled write must not fail the
 * batch and re-send the leads that other endpoints already accepted.
 */
async function settle(result: EndpointResult, write: () => Promise<void>): Promise<EndpointResult> {
  try {
    await write();
    return result;
  } catch (error) {
    return { ...result, bookkeepingError: messageOf(error) };
  }
}

function decrypt(deps: ForwardDeps, lead: Lead): { lead: Lead; decryptFailed: boolean } {
  if (deps.decryptMobile === undefined || lead.mobile === undefined || lead.mobile_encrypted !== true)
    return { lead, decryptFailed: false };
  const plain = deps.decryptMobile(lead.mobile);
  // A mobile that does not decrypt goes out as received: never dropped, never logged.
  return plain === undefined
    ? { lead, decryptFailed: true }
    : { lead: { ...lead, mobile: plain, mobile_encrypted: false }, decryptFailed: false };
}

/**
 * How many recent lead ages an endpoint's status item keeps (`status` shows their p50 and p95).
 * Two batches for one endpoint finishing at once may each write the ages they read plus their
 * own, so one batch's may be lost: a sample of the recent deliveries, not a count.
 */
export const RECENT_LEAD_AGES = 50;

async function recordDeliveries(
  deps: ForwardDeps,
  results: RecordResult[],
  ages: ReadonlyMap<string, readonly number[]>,
  now: () => number,
): Promise<void> {
  const perEndpoint = new Map<string, { count: number; lastLeadId: LeadId; lastRecordId?: string; ages: number[] }>();
  for (const record of results) {
    for (const e of record.endpoints) {
      if (e.state !== 'delivered' || record.leadId === undefined) continue;
      const entry = perEndpoint.get(e.endpoint) ?? { count: 0, lastLeadId: record.leadId, ages: [] };
      const lastRecordId = e.recordId ?? entry.lastRecordId;
      perEndpoint.set(e.endpoint, {
        count: entry.count + 1,
        lastLeadId: record.leadId,
        ...(lastRecordId === undefined ? {} : { lastRecordId }),
        ages: e.ageSeconds === undefined ? entry.ages : [...entry.ages, e.ageSeconds],
      });
    }
  }
  // Informational (shown by `status`): a failure here must not turn delivered leads into retries.
  await Promise.allSettled(
    [...perEndpoint].map(([name, { ages: batchAges, ...entry }]) =>
      deps.endpointStatus.recordDeliveries(name, {
        ...entry,
        at: new Date(now()),
        ...(batchAges.length === 0 ? {} : { recentAges: [...(ages.get(name) ?? []), ...batchAges].slice(-RECENT_LEAD_AGES) }),
      }),
    ),
  );
}
