import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import { DynamoEndpointStatus } from '../../shared/aws/endpoint-status';
import { ledgerKey } from '../../shared/aws/ledger';
import { isLeadId, type LeadId } from '../../shared/domain/ids';
import { isRecord } from '../../shared/domain/is-record';
import type { Endpoint } from '../../shared/domain/settings';
import type { SQSRecord } from 'aws-lambda';
import { parseLeadMessage } from '../../shared/domain/lead-message';
import type { Delivery } from '../../shared/webhook/delivery';
import { prepareDelivery } from '../../shared/webhook/prepare';
import { leadAgeSeconds } from '../../forwarder/lead-age';
import type { BatchResult } from '../../forwarder/forward';
import type { EndpointState } from '../../forwarder/ports';
import type { BatchReport } from '../runner/event-source';

/**
 * What a forwarder invocation did to each (lead, endpoint): from the batch result it returned
 * and whether the message stayed on the queue; when it threw, from what it left behind in the
 * delivery ledger.
 *
 * - delivered: a 2xx recorded during this invocation;
 * - already:   delivered before (a re-send the ledger stopped);
 * - pending:   not delivered and the message stays on the queue for another attempt;
 * - refused:   the endpoint refused it for good, but the message stays on the queue for
 *              another endpoint's retry (it is parked, and counts as failed, when it leaves);
 * - failed:    not delivered and the message left the queue: it was parked in the DLQ;
 * - skipped:   the endpoint's filter keeps the lead out (DESIGN §7): nothing was sent (the
 *              ledger holds nothing, so reading it, the filter is evaluated again, as the forwarder did).
 *
 * An endpoint marked gone (it answered 410) gets nothing more, so a pair not delivered to it is
 * refused (or failed), never pending: there is no retry for it to wait for.
 */
export type PairState = 'delivered' | 'already' | 'pending' | 'refused' | 'failed' | 'skipped';

export interface PairOutcome {
  endpoint: string;
  state: PairState;
  /** Why a failed pair failed, when the ledger says (a refusal's reason). */
  reason?: string;
  /**
   * When the endpoint was marked gone (it answered 410), if it is: the ledger keeps no reason
   * for that, since the claim is released, but the endpoint's status item does.
   */
  goneAt?: string;
  /** A pair delivered now: lead age at delivery (the ledger's deliveredAt minus gmt_create), seconds. */
  ageSeconds?: number;
}

export interface RecordOutcome {
  messageId: string;
  /** Absent when the body is not a lead (the forwarder parks such a message). */
  leadId?: LeadId;
  /** 1 on the first attempt. */
  receiveCount: number;
  /** The message left the queue (delivered everywhere, or parked). */
  settled: boolean;
  pairs: PairOutcome[];
}

/** The ledger record of one pair, as far as this needs it. */
export interface LedgerView {
  status?: string;
  deliveredAt?: string;
  reason?: string;
}

/** The state of one pair from its ledger record and whether its endpoint is gone (pure; see PairState). */
export function pairState(view: LedgerView | undefined, stillQueued: boolean, batchStartedAt: number, gone = false): PairState {
  if (view?.status === 'delivered') {
    const at = view.deliveredAt === undefined ? Number.NaN : Date.parse(view.deliveredAt);
    return at >= batchStartedAt ? 'delivered' : 'already';
  }
  if (!stillQueued) return 'failed';
  return view?.status === 'rejected' || gone ? 'refused' : 'pending';
}

/**
 * The outcomes of one batch: the forwarder's own account when it returned one (no read at all),
 * else, when it threw, what it left in the ledger (a throw can come after some deliveries).
 */
export async function batchOutcomes(
  ddb: DynamoDBClient,
  table: string,
  endpoints: readonly Endpoint[],
  report: BatchReport,
): Promise<RecordOutcome[]> {
  return (
    (report.result === undefined ? undefined : outcomesOf(endpoints, report, report.result)) ??
    readOutcomes(ddb, table, endpoints, report)
  );
}

/**
 * What the forwarder's batch result says of each (lead, endpoint), classified as readOutcomes
 * does from the ledger (pure). Undefined when the result does not cover every record of the
 * batch, so that the ledger is read instead.
 */
export function outcomesOf(
  endpoints: readonly Pick<Endpoint, 'name'>[],
  report: Pick<BatchReport, 'records' | 'failed'>,
  result: BatchResult,
): RecordOutcome[] | undefined {
  const byMessage = new Map(result.records.map((record) => [record.messageId, record]));
  if (report.records.some((record) => !byMessage.has(record.messageId))) return undefined;
  return report.records.map((record): RecordOutcome => {
    const forwarded = byMessage.get(record.messageId)!;
    const stillQueued = report.failed.has(record.messageId);
    const answers = new Map(forwarded.endpoints.map((e) => [e.endpoint, e]));
    const pairs = endpoints.map(({ name }): PairOutcome => {
      const answer = answers.get(name);
      // No answer from this endpoint: the message is not a lead, and was parked (or stays, if parking failed).
      const state = answer === undefined ? (stillQueued ? 'pending' : 'failed') : pairStateOf(answer.state, stillQueued);
      const pair: PairOutcome = { endpoint: name, state };
      // The forwarder took it as the 2xx arrived.
      if (state === 'delivered' && answer?.ageSeconds !== undefined) pair.ageSeconds = answer.ageSeconds;
      if (state !== 'failed' && state !== 'refused') return pair;
      if (answer?.goneAt !== undefined) pair.goneAt = answer.goneAt;
      else {
        const reason = answer === undefined ? forwarded.reason : answer.reason;
        if (reason !== undefined) pair.reason = reason;
      }
      return pair;
    });
    const outcome: RecordOutcome = {
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
      settled: !stillQueued,
      pairs,
    };
    const leadId = forwarded.leadId ?? leadIdOf(record.body);
    if (leadId !== undefined) outcome.leadId = leadId;
    return outcome;
  });
}

/** An endpoint's state in the forwarder's result as a PairState (pure; see PairState). */
export function pairStateOf(state: EndpointState, stillQueued: boolean): PairState {
  switch (state) {
    case 'delivered':
      return 'delivered';
    case 'already-delivered':
      return 'already';
    case 'skipped':
      return 'skipped';
    case 'retry':
    case 'busy':
      return stillQueued ? 'pending' : 'failed';
    case 'rejected':
    case 'gone':
      return stillQueued ? 'refused' : 'failed';
  }
}

/**
 * Reads the ledger records of every (lead, endpoint) of the batch and the endpoints' status, and
 * classifies them: for a batch the forwarder gave no account of (it threw).
 */
export async function readOutcomes(
  ddb: DynamoDBClient,
  table: string,
  endpoints: readonly Endpoint[],
  report: BatchReport,
): Promise<RecordOutcome[]> {
  const names = endpoints.map((endpoint) => endpoint.name);
  const leads = report.records.map((record) => ({ record, leadId: leadIdOf(record.body) }));
  const keys = leads.flatMap(({ leadId }) => (leadId === undefined ? [] : names.map((endpoint) => ledgerKey(leadId, endpoint))));
  const views = await readLedger(ddb, table, keys);
  const gone = await goneSince(ddb, table, endpoints);
  return Promise.all(
    leads.map(async ({ record, leadId }) => {
      const stillQueued = report.failed.has(record.messageId);
      const skipping = await skippedBy(endpoints, record);
      const pairs = names.map((endpoint): PairOutcome => {
        const view = leadId === undefined ? undefined : views.get(ledgerKey(leadId, endpoint));
        const goneAt = gone.get(endpoint);
        const state =
          view === undefined && skipping.has(endpoint)
            ? 'skipped'
            : pairState(view, stillQueued, report.startedAt, goneAt !== undefined);
        const pair: PairOutcome = { endpoint, state };
        if (state === 'delivered' && view?.deliveredAt !== undefined) {
          const age = leadAgeSeconds(gmtCreateOf(record.body), Date.parse(view.deliveredAt));
          if (age !== undefined) pair.ageSeconds = age;
        }
        if (state !== 'failed' && state !== 'refused') return pair;
        if (goneAt !== undefined) pair.goneAt = goneAt;
        else if (view?.reason !== undefined) pair.reason = view.reason;
        return pair;
      });
      const outcome: RecordOutcome = {
        messageId: record.messageId,
        receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
        settled: !stillQueued,
        pairs,
      };
      if (leadId !== undefined) outcome.leadId = leadId;
      return outcome;
    }),
  );
}

/** The endpoints whose filter keeps this record's lead out (none for a message that is not a lead). */
async function skippedBy(endpoints: readonly Endpoint[], record: SQSRecord): Promise<Set<string>> {
  const filtered = endpoints.filter((endpoint) => endpoint.filter !== undefined);
  if (filtered.length === 0) return new Set();
  let delivery: Delivery;
  try {
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(record.messageAttributes ?? {}))
      if (value.stringValue !== undefined) attributes[key] = value.stringValue;
    const parsed = parseLeadMessage({ body: record.body, attributes });
    delivery = { lead: parsed.lead, seenAt: parsed.seenAt };
  } catch {
    return new Set();
  }
  const skipped = await Promise.all(
    filtered.map(async (endpoint) => ((await prepareDelivery(endpoint, delivery)).kind === 'skip' ? [endpoint.name] : [])),
  );
  return new Set(skipped.flat());
}

async function readLedger(ddb: DynamoDBClient, table: string, keys: string[]): Promise<Map<string, LedgerView>> {
  const views = new Map<string, LedgerView>();
  const unique = [...new Set(keys)];
  // BatchGetItem reads at most 100 keys per call.
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, KeysAndAttributes> | undefined = {
      [table]: { Keys: unique.slice(i, i + 100).map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
    };
    while (request !== undefined && Object.keys(request).length > 0) {
      const output: BatchGetItemCommandOutput = await ddb.send(new BatchGetItemCommand({ RequestItems: request }));
      const { Responses, UnprocessedKeys } = output;
      for (const item of Responses?.[table] ?? []) {
        const pk = item.pk?.S;
        if (pk === undefined) continue;
        const view: LedgerView = {};
        if (item.status?.S !== undefined) view.status = item.status.S;
        if (item.deliveredAt?.S !== undefined) view.deliveredAt = item.deliveredAt.S;
        if (item.reason?.S !== undefined) view.reason = item.reason.S;
        views.set(pk, view);
      }
      request = UnprocessedKeys;
    }
  }
  return views;
}

/** When each endpoint that is gone for its current url and format was marked so. */
async function goneSince(
  ddb: DynamoDBClient,
  table: string,
  endpoints: readonly Pick<Endpoint, 'name' | 'url' | 'format'>[],
): Promise<Map<string, string>> {
  const status = new DynamoEndpointStatus(ddb, table);
  const records = await Promise.all(endpoints.map((endpoint) => status.get(endpoint)));
  return new Map(records.flatMap((record) => (record.goneAt === undefined ? [] : [[record.name, record.goneAt] as const])));
}

/** The gmt_create of a message body (ISO, UTC), when it has one. */
function gmtCreateOf(body: string): string | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) && typeof value.gmt_create === 'string' ? value.gmt_create : undefined;
  } catch {
    return undefined;
  }
}

/** The lead id of a message body, without trusting the body any further. */
export function leadIdOf(body: string): LeadId | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) && isLeadId(value.id) ? value.id : undefined;
  } catch {
    return undefined;
  }
}
