import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ScanProgress, SourceState, SourceStateUpdate, StateStore } from '../../poller/ports';
import { LeadForwarderError, StateConflictError } from '../domain/errors';
import { isLeadId, type LeadId } from '../domain/ids';
import { KEY_PREFIXES } from '../config/stack-contract';

/** The state-table key of a source. One stack polls one merchant authorization (app key). */
export function sourceKey(appKey: string): string {
  return `${KEY_PREFIXES.source}${appKey}`;
}

/** The stored state does not have the shape this version writes (hand-edited, or corrupted). */
export class CorruptStateError extends LeadForwarderError {
  override readonly name: string = 'CorruptStateError';
}

/**
 * The scan state of one source in DynamoDB. Every save is a conditional put on `version`, so
 * of two writers that read the same version exactly one wins; the other gets a
 * StateConflictError and the item is unchanged.
 */
export class DynamoStateStore implements StateStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly key: string,
  ) {}

  async load(): Promise<SourceState> {
    const { Item } = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: this.key } }, ConsistentRead: true }),
    );
    return Item === undefined ? { version: 0, seen: [] } : decodeSourceState(Item, this.key);
  }

  async save(update: SourceStateUpdate, expectedVersion: number): Promise<SourceState> {
    const next: SourceState = { ...update, version: expectedVersion + 1 };
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: encode(this.key, next),
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StateConflictError(
          `the state of ${this.key} changed since version ${expectedVersion} was read (another poller or an operator wrote it); nothing was written`,
          { cause: error },
        );
      }
      throw error;
    }
    return next;
  }
}

function encode(key: string, state: SourceState): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: key },
    version: { N: String(state.version) },
    seen: ids(state.seen),
    updatedAt: { S: new Date().toISOString() },
  };
  if (state.cursor !== undefined) item.cursor = { S: state.cursor };
  if (state.cursorAt !== undefined) item.cursorAt = { S: state.cursorAt };
  if (state.scan !== undefined) {
    const scan: Record<string, AttributeValue> = {
      top: { S: state.scan.top },
      floor: { S: state.scan.floor },
      seen: ids(state.scan.seen),
    };
    if (state.scan.next !== undefined) scan.next = { S: state.scan.next };
    item.scan = { M: scan };
  }
  return item;
}

function ids(list: LeadId[]): AttributeValue {
  return { L: list.map((id) => ({ S: id })) };
}

/** A stored state item read back; CorruptStateError when it does not have the shape this version writes. */
export function decodeSourceState(item: Record<string, AttributeValue>, key: string): SourceState {
  const bad = (what: string): never => {
    throw new CorruptStateError(`the stored state of ${key} has ${what}; fix or delete the item (see README "reset-cursor")`);
  };
  const version = Number(item.version?.N);
  if (!Number.isSafeInteger(version) || version < 1) bad('no valid version');
  const idList = (value: AttributeValue | undefined, what: string): LeadId[] => {
    const list = value?.L ?? [];
    return list.map((v) => (isLeadId(v.S) ? v.S : bad(`a bad id in ${what}`)));
  };
  const id = (value: AttributeValue | undefined, what: string): LeadId | undefined => {
    if (value === undefined) return undefined;
    return isLeadId(value.S) ? value.S : bad(`a bad ${what}`);
  };
  const state: SourceState = { version, seen: idList(item.seen, 'seen') };
  const cursor = id(item.cursor, 'cursor');
  if (cursor !== undefined) state.cursor = cursor;
  if (item.cursorAt?.S !== undefined) state.cursorAt = item.cursorAt.S;
  const scan = item.scan?.M;
  if (scan !== undefined) {
    const progress: ScanProgress = {
      top: id(scan.top, 'scan.top') ?? bad('a scan without top'),
      floor: id(scan.floor, 'scan.floor') ?? bad('a scan without floor'),
      seen: idList(scan.seen, 'scan.seen'),
    };
    const next = id(scan.next, 'scan.next');
    if (next !== undefined) progress.next = next;
    state.scan = progress;
  }
  return state;
}
