import { GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isRecord } from '../shared/lead';

/**
 * The queues live in memory between saves, so a runner killed without a chance to save (kill -9,
 * power loss) can lose messages the poller enqueued since the last save, while the cursor, on
 * disk, has already moved past them. Each save therefore also records the source states (cursor
 * and scan) it saw *before* reading the queues; a start that finds a source moved on since then
 * puts the recorded state back. The poller re-reads those leads, and the delivery ledger keeps
 * endpoints that already accepted one from getting it twice. Rewinding is always safe; skipping
 * never happens.
 */
export type SourceItem = Record<string, AttributeValue>;

/** Every `source#…` item of the local table (a handful: one per app key). */
export async function readSourceItems(ddb: DynamoDBClient, table: string): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :source)',
        ExpressionAttributeValues: { ':source': { S: 'source#' } },
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Puts back every recorded source state that moved on after it was recorded. Returns the keys rewound. */
export async function rewindSources(ddb: DynamoDBClient, table: string, recorded: SourceItem[]): Promise<string[]> {
  const rewound: string[] = [];
  for (const item of recorded) {
    const key = item.pk?.S;
    if (key === undefined) continue;
    const { Item } = await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }));
    if (Item?.version?.N === item.version?.N) continue;
    await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
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
