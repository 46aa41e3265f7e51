import { createHash } from 'node:crypto';
import { GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EndpointDeliveries, EndpointStatusStore } from '../../forwarder/ports';
import type { Endpoint } from '../domain/settings';
import { KEY_PREFIXES } from '../config/stack-contract';

/** What the state table remembers of an endpoint: whether it is gone, and its last delivery. */
export interface EndpointRecord {
  name: string;
  /** Set after a 410 while the endpoint's url/format are unchanged. */
  goneAt?: string;
  lastDeliveredAt?: string;
  lastLeadId?: string;
  /** A connector's last record (where the last lead landed in the CRM). */
  lastRecordId?: string;
  delivered?: number;
  /** Lead age at delivery (s) of the recent deliveries, oldest first (at most RECENT_LEAD_AGES). */
  recentAges?: number[];
}

type Item = Record<string, AttributeValue>;

export interface EndpointStatusOptions {
  /**
   * How long an item this instance read or wrote stands for the stored one (0, the default:
   * every get reads). The forwarder reads each endpoint's status before every batch; a busy
   * container then reads it only this often and otherwise uses what its own last write
   * returned. Another container's 410 mark is seen up to this much later: meanwhile this one
   * may still send there, and the gone endpoint answers 410 again, as it did to the leads in
   * flight when it went.
   */
  freshForMs?: number;
  now?: () => number;
}

/**
 * Endpoint status in the state table (`endpoint#<name>`). A 410 marks the endpoint gone for its
 * current configuration only: changing its URL or format (a fingerprint, not the URL itself, is
 * stored, since URLs often carry keys) brings it back.
 */
export class DynamoEndpointStatus implements EndpointStatusStore {
  /** Endpoint name → the item as last read or written here, and when. */
  private readonly known = new Map<string, { item: Item | undefined; at: number }>();
  private readonly freshForMs: number;
  private readonly now: () => number;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    options: EndpointStatusOptions = {},
  ) {
    this.freshForMs = options.freshForMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  async get(endpoint: Pick<Endpoint, 'name' | 'url' | 'format'>): Promise<EndpointRecord> {
    const known = this.known.get(endpoint.name);
    if (known !== undefined && this.now() - known.at < this.freshForMs) return recordOf(endpoint, known.item);
    const at = this.now();
    const { Item } = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: endpointKey(endpoint.name) } } }),
    );
    this.remember(endpoint.name, Item, at);
    return recordOf(endpoint, Item);
  }

  async markGone(endpoint: Pick<Endpoint, 'name' | 'url' | 'format'>, at: Date): Promise<void> {
    const written = this.now();
    const { Attributes } = await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: endpointKey(endpoint.name) } },
        UpdateExpression: 'SET goneAt = :at, goneFingerprint = :fp',
        ExpressionAttributeValues: { ':at': { S: at.toISOString() }, ':fp': { S: fingerprint(endpoint) } },
        ReturnValues: this.freshForMs > 0 ? 'ALL_NEW' : 'NONE',
      }),
    );
    this.remember(endpoint.name, Attributes, written);
  }

  /** Coalesced per batch: one write per endpoint, not per lead. */
  async recordDeliveries(name: string, deliveries: EndpointDeliveries): Promise<void> {
    const { count, lastLeadId, at, lastRecordId, recentAges } = deliveries;
    const set = ['lastDeliveredAt = :at', 'lastLeadId = :lead'];
    const values: Record<string, AttributeValue> = {
      ':at': { S: at.toISOString() },
      ':lead': { S: lastLeadId },
      ':n': { N: String(count) },
    };
    if (lastRecordId !== undefined) {
      set.push('lastRecordId = :record');
      values[':record'] = { S: lastRecordId };
    }
    if (recentAges !== undefined) {
      set.push('recentAges = :ages');
      // Tenths of a second: enough for a p95, and the item stays small.
      values[':ages'] = { L: recentAges.map((age) => ({ N: String(Math.round(age * 10) / 10) })) };
    }
    const written = this.now();
    const { Attributes } = await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: endpointKey(name) } },
        UpdateExpression: `SET ${set.join(', ')} ADD delivered :n`,
        ExpressionAttributeValues: values,
        // The whole item as this write left it (other containers' writes before it included):
        // the next batch's status, without a read of its own.
        ReturnValues: this.freshForMs > 0 ? 'ALL_NEW' : 'NONE',
      }),
    );
    this.remember(name, Attributes, written);
  }

  /** Kept only when it stands for the stored item for a while; taken before the call, so never fresher than it is. */
  private remember(name: string, item: Item | undefined, at: number): void {
    if (this.freshForMs > 0) this.known.set(name, { item, at });
  }
}

function recordOf(endpoint: Pick<Endpoint, 'name' | 'url' | 'format'>, Item: Item | undefined): EndpointRecord {
  const record: EndpointRecord = { name: endpoint.name };
  if (Item?.goneAt?.S !== undefined && Item.goneFingerprint?.S === fingerprint(endpoint)) record.goneAt = Item.goneAt.S;
  if (Item?.lastDeliveredAt?.S !== undefined) record.lastDeliveredAt = Item.lastDeliveredAt.S;
  if (Item?.lastLeadId?.S !== undefined) record.lastLeadId = Item.lastLeadId.S;
  if (Item?.lastRecordId?.S !== undefined) record.lastRecordId = Item.lastRecordId.S;
  if (Item?.delivered?.N !== undefined) record.delivered = Number(Item.delivered.N);
  const ages = Item?.recentAges?.L?.map((age) => Number(age.N)).filter((age) => Number.isFinite(age));
  if (ages !== undefined && ages.length > 0) record.recentAges = ages;
  return record;
}

export function endpointKey(name: string): string {
  return `${KEY_PREFIXES.endpoint}${name}`;
}

function fingerprint(endpoint: Pick<Endpoint, 'url' | 'format'>): string {
  return createHash('sha256').update(`${endpoint.format} ${endpoint.url}`).digest('hex').slice(0, 16);
}
