import { DeleteItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KEY_PREFIXES } from '../../shared/config/stack-contract';
import { isRecord } from '../../shared/domain/is-record';
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
  return scanAll(ddb, table, { expression: 'begins_with(pk, :source)', values: { ':source': { S: KEY_PREFIXES.source } } });
}

/**
 * What a start would change to put every source back where the save that recorded `recorded`
 * saw it, given the sources now in the table: a recorded state that moved on is to be written
 * back (the item), and a source missing from `recorded` is to be deleted (undefined: its state
 * before any lead of it was queued). Sources that are as recorded are not listed.
 */
export function pendingRewinds(current: SourceItem[], recorded: SourceItem[]): Map<string, SourceItem | undefined> {
  const now = new Map(current.flatMap((item) => (item.pk?.S === undefined ? [] : [[item.pk.S, item] as const])));
  const changes = new Map<string, SourceItem | undefined>();
  for (const item of recorded) {
    const key = item.pk?.S;
    if (key === undefined) continue;
    if (now.get(key)?.version?.N !== item.version?.N) changes.set(key, item);
    now.delete(key);
  }
  for (const key of now.keys()) changes.set(key, undefined);
  return changes;
}

/** Applies pendingRewinds to the table (only one process has it open: see lock.ts). Returns the keys rewound. */
export async function rewindSources(ddb: DynamoDBClient, table: string, recorded: SourceItem[]): Promise<string[]> {
  const changes = pendingRewinds(await readSourceItems(ddb, table), recorded);
  for (const [key, item] of changes) {
    if (item === undefined) await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    else await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
  }
  return [...changes.keys()];
}

/** Validates recorded items read back from the snapshot file; undefined when malformed. */
export function parseSourceItems(value: unknown): SourceItem[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const items = value as unknown[];
  const valid = items.every(
    (item) =>
      isRecord(item) &&
      isRecord(item.pk) &&
      typeof item.pk.S === 'string' &&
      isRecord(item.version) &&
      typeof item.version.N === 'string',
  );
  return valid ? (items as SourceItem[]) : undefined;
}
