import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isRecord } from '../shared/lead';
import { scanAll } from './table-scan';

/**
 * The queues live in memory between saves, so a runner killed without a chance to save (kill -9,
 * power loss) can lose messages the poller enqueued since the last save, while the cursor, on
 * disk, has already moved past them. Each save therefore also records the source states (cursor
 * and scan) it saw *before* reading the queues; a start that finds a source moved on since then
 * puts the recorded state back, and a start that finds a source the save did not list (created
 * after it: the periodic save comes seconds after the start, the first poll right away) deletes
 * it, so that the next poll is its first run again and starts from `startFrom`. The poller re-reads
 * those leads, and the delivery ledger keeps endpoints that already accepted one from getting it
 * twice. The runner also saves right after every poll (pipeline.ts), so a first run is recorded
 * before the next poll can queue anything: with `latest`, a new first run after a kill would
 * otherwise take the newest lead at the restart and skip what arrived in between.
 */
export type SourceItem = Record<string, AttributeValue>;

/** Every `source#…` item of the local table (a handful: one per app key). */
export function readSourceItems(ddb: DynamoDBClient, table: string): Promise<SourceItem[]> {
  return scanAll(ddb, table, { expression: 'begins_with(pk, :source)', values: { ':source': { S: 'source#' } } });
}

/**
 * Puts every source back where the save that recorded `recorded` saw it: a recorded state that
 * moved on is written back, and a source missing from `recorded` is deleted (its state before
 * any lead of it was queued). Returns the keys rewound.
 */
export async function rewindSources(ddb: DynamoDBClient, table: string, recorded: SourceItem[]): Promise<string[]> {
  const rewound: string[] = [];
  const recordedKeys = new Set<string>();
  for (const item of recorded) {
    const key = item.pk?.S;
    if (key === undefined) continue;
    recordedKeys.add(key);
    const { Item } = await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }));
    if (Item?.version?.N === item.version?.N) continue;
    await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
    rewound.push(key);
  }
  for (const item of await readSourceItems(ddb, table)) {
    const key = item.pk?.S;
    if (key === undefined || recordedKeys.has(key)) continue;
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    rewound.push(key);
  }
  return rewound;
}

/** Validates recorded items read back from the snapshot file; undefined when malformed. */
export function parseSourceItems(value: unknown): SourceItem[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const items = value as unknown[];
  const valid = items.every((item) => isRecord(item) && isRecord(item.pk) && typeof item.pk.S === 'string' && isRecord(item.version) && typeof item.version.N === 'string');
  return valid ? (items as SourceItem[]) : undefined;
}
