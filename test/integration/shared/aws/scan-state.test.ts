import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CorruptStateError, DynamoStateStore, sourceKey } from '../../../../functions/shared/aws/scan-state';
import { StateConflictError } from '../../../../functions/shared/domain/errors';
import { tablePerTest } from '../../../support/tables';

const local = tablePerTest();

describe('DynamoStateStore (dynalite)', () => {
  it('starts at version 0 and round-trips cursor, scan and seen, including ids beyond 2^53', async () => {
    const store = new DynamoStateStore(local.client, local.table, sourceKey('12345678'));
    expect(await store.load()).toEqual({ version: 0, seen: [] });
    const big = '9007199254740993123';
    await store.save(
      {
        cursor: big,
        seen: [big, '17'],
        cursorAt: '2026-11-29T00:00:00.000Z',
        scan: { top: '9007199254740993999', floor: big, next: '9007199254740993500', seen: ['9007199254740993999'] },
      },
      0,
    );
    expect(await store.load()).toEqual({
      version: 1,
      cursor: big,
      seen: [big, '17'],
      cursorAt: '2026-11-29T00:00:00.000Z',
      scan: { top: '9007199254740993999', floor: big, next: '9007199254740993500', seen: ['9007199254740993999'] },
    });
  });

  it('a stale writer gets a StateConflictError and changes nothing', async () => {
    const a = new DynamoStateStore(local.client, local.table, sourceKey('k'));
    const b = new DynamoStateStore(local.client, local.table, sourceKey('k'));
    await a.save({ cursor: '10', seen: [] }, 0);
    const readByBoth = await a.load();
    await a.save({ cursor: '20', seen: [] }, readByBoth.version);
    await expect(b.save({ cursor: '5', seen: [] }, readByBoth.version)).rejects.toThrow(StateConflictError);
    expect((await a.load()).cursor).toBe('20');
  });

  it('two first writers: exactly one wins', async () => {
    const store = new DynamoStateStore(local.client, local.table, sourceKey('k2'));
    const results = await Promise.allSettled([
      store.save({ cursor: '1', seen: [] }, 0),
      store.save({ cursor: '2', seen: [] }, 0),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof StateConflictError)).toHaveLength(1);
  });

  it('a corrupted item is a clear error, not a silent reset', async () => {
    await local.client.send(
      new PutItemCommand({
        TableName: local.table,
        Item: { pk: { S: sourceKey('bad') }, version: { N: '3' }, cursor: { S: 'abc' } },
      }),
    );
    const load = new DynamoStateStore(local.client, local.table, sourceKey('bad')).load();
    await expect(load).rejects.toThrow(CorruptStateError);
    await expect(load).rejects.toThrow(`the stored state of ${sourceKey('bad')} has a bad cursor; fix or delete the item`);
  });
});
