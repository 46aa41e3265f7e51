import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ClaimResult, Ledger } from '../../forwarder/ports';
import type { LeadId } from '../domain/ids';
import { KEY_PREFIXES } from '../config/stack-contract';
import { GroupedPuts } from './grouped-puts';

/** Ledger entries outlive every copy of the message (4-day queue, 14-day DLQ, then a replay). */
export const LEDGER_TTL_DAYS = 35;
/**
 * The longest a copy of a lead met now can still come back: 4 days on the leads queue, then 14
 * in the DLQ before a replay. A settled record with less life than this left is renewed.
 */
const COPY_LIFETIME_DAYS = 18;

/**
 * One record per (lead, endpoint) in DynamoDB. A delivery first claims its record with a lease
 * (a conditional put), so two copies of a message never send to one endpoint at once; a 2xx
 * turns the claim into `delivered`, which is never sent again; a crash lets the lease expire.
 */
export class DynamoLedger implements Ledger {
  /** Deliveries are recorded in groups: the 2xx of a busy batch cost one write call, not one each. */
  private readonly deliveries: GroupedPuts;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.deliveries = new GroupedPuts(ddb, table, (item) => item.pk?.S ?? '');
  }

  /** Claims (lead, endpoint) for `leaseMs`. A `rejected` record is re-claimed only on a replay. */
  async claim(leadId: LeadId, endpoint: string, leaseMs: number, replay: boolean): Promise<ClaimResult> {
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const now = this.now();
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: ledgerKey(leadId, endpoint) },
            status: { S: 'sending' },
            token: { S: token },
            leaseUntil: { N: String(now + leaseMs) },
            expiresAt: { N: String(Math.floor(now / 1000) + LEDGER_TTL_DAYS * 86_400) },
          },
          ConditionExpression: replay
            ? 'attribute_not_exists(pk) OR #s = :rejected OR (#s = :sending AND leaseUntil < :now)'
            : 'attribute_not_exists(pk) OR (#s = :sending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':sending': { S: 'sending' },
            ':now': { N: String(now) },
            ...(replay ? { ':rejected': { S: 'rejected' } } : {}),
          },
        }),
      );
      return { kind: 'claimed', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: ledgerKey(leadId, endpoint) } }, ConsistentRead: true }),
    );
    const status = Item?.status?.S;
    if (
      (status === 'delivered' || status === 'rejected') &&
      Number(Item?.expiresAt?.N ?? 0) < Math.floor(now / 1000) + COPY_LIFETIME_DAYS * 86_400
    ) {
      await this.keep(leadId, endpoint, now);
    }
    if (status === 'delivered') return { kind: 'delivered' };
    if (status === 'rejected') return { kind: 'rejected', reason: Item?.reason?.S ?? 'rejected' };
    return { kind: 'busy' };
  }

  /** Whether the endpoint has accepted the lead (a read; it claims nothing). */
  async wasDelivered(leadId: LeadId, endpoint: string): Promise<boolean> {
    const { Item } = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: ledgerKey(leadId, endpoint) } }, ConsistentRead: true }),
    );
    return Item?.status?.S === 'delivered';
  }

  /**
   * A copy of the lead is still around (a replay, a duplicate message), so the record must outlive
   * it too: each replay re-parks the lead with a fresh DLQ retention, and a record that expired
   * first would let the lead reach this endpoint again. Only a record near its end is renewed, so
   * the retries of a lead for another endpoint do not each add a write. Best effort: if this
   * write fails, the record keeps its old expiry, which is what it had anyway.
   */
  private async keep(leadId: LeadId, endpoint: string, now: number): Promise<void> {
    await this.ddb
      .send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: ledgerKey(leadId, endpoint) } },
          UpdateExpression: 'SET expiresAt = :exp',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':exp': { N: String(Math.floor(now / 1000) + LEDGER_TTL_DAYS * 86_400) } },
        }),
      )
      .catch(() => undefined);
  }

  /**
   * The endpoint accepted the lead: it is never sent there again. Unconditional (no token): a
   * 2xx is a fact even if the claim's lease ran out meanwhile. So the record is written whole,
   * replacing the claim (its token and lease are of no use once delivered), and can go in a
   * group with other deliveries; it resolves once this record is written.
   */
  async delivered(leadId: LeadId, endpoint: string, status: number): Promise<void> {
    const now = this.now();
    await this.deliveries.put({
      pk: { S: ledgerKey(leadId, endpoint) },
      status: { S: 'delivered' },
      httpStatus: { N: String(status) },
      deliveredAt: { S: new Date(now).toISOString() },
      expiresAt: { N: String(Math.floor(now / 1000) + LEDGER_TTL_DAYS * 86_400) },
    });
  }

  /** The endpoint refused the lead for good: retries skip it; a replay from the DLQ tries again. */
  async rejected(leadId: LeadId, endpoint: string, token: string, reason: string): Promise<void> {
    try {
      await this.finish(
        leadId,
        endpoint,
        '#s = :rejected, reason = :reason',
        { ':rejected': { S: 'rejected' }, ':reason': { S: reason.slice(0, 500) }, ':token': { S: token } },
        '#t = :token',
      );
    } catch (error) {
      // Our lease ran out and another attempt owns the record now (it may even be delivered).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The attempt failed and will be retried: give the claim up at once rather than wait for the lease. */
  async release(leadId: LeadId, endpoint: string, token: string): Promise<void> {
    try {
      await this.ddb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: ledgerKey(leadId, endpoint) } },
          ConditionExpression: '#t = :token',
          ExpressionAttributeNames: { '#t': 'token' },
          ExpressionAttributeValues: { ':token': { S: token } },
        }),
      );
    } catch (error) {
      // Our lease already expired and someone else claimed it: theirs to finish.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async finish(
    leadId: LeadId,
    endpoint: string,
    assignments: string,
    values: Record<string, { S: string } | { N: string }>,
    condition: string,
  ): Promise<void> {
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: ledgerKey(leadId, endpoint) } },
        UpdateExpression: `SET ${assignments}, expiresAt = :exp REMOVE leaseUntil`,
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#s': 'status', '#t': 'token' },
        ExpressionAttributeValues: { ...values, ':exp': { N: String(Math.floor(this.now() / 1000) + LEDGER_TTL_DAYS * 86_400) } },
      }),
    );
  }
}

/** Every ledger record's key starts with this. */
export const LEDGER_KEY_PREFIX = KEY_PREFIXES.delivery;

export function ledgerKey(leadId: LeadId, endpoint: string): string {
  return `${LEDGER_KEY_PREFIX}${leadId}#${endpoint}`;
}
