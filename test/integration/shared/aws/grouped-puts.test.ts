import { BatchWriteItemCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GroupedPuts, UnprocessedPutError } from '../../../../functions/shared/aws/grouped-puts';
import { DynamoLedger, ledgerKey } from '../../../../functions/shared/aws/ledger';
import { tablePerTest } from '../../../support/tables';

const local = tablePerTest();

describe('GroupedPuts and the ledger’s deliveries (dynalite)', () => {
  it('records 60 deliveries made at once, each claim then finding it delivered, in a few calls', async () => {
    let calls = 0;
    const counting = {
      send: (command: BatchWriteItemCommand) => {
        calls += 1;
        return local.client.send(command);
      },
    } as unknown as DynamoDBClient;
    const puts = new GroupedPuts(counting, local.table, (item) => item.pk?.S ?? '');
    const ids = Array.from({ length: 60 }, (_, i) => String(1000 + i));
    await Promise.all(ids.map((id) => puts.put({ pk: { S: ledgerKey(id, 'crm') }, status: { S: 'delivered' } })));
    // One call for the first, then the rest in groups of at most 25 while a call is in flight.
    expect(calls).toBeLessThanOrEqual(4);
    const ledger = new DynamoLedger(local.client, local.table);
    for (const id of ids) expect(await ledger.claim(id, 'crm', 60_000, false)).toEqual({ kind: 'delivered' });
  });

  it('writes two puts of one key in turn, the later one last', async () => {
    const puts = new GroupedPuts(local.client, local.table, (item) => item.pk?.S ?? '');
    await Promise.all([
      puts.put({ pk: { S: 'delivery#1#crm' }, status: { S: 'delivered' }, httpStatus: { N: '200' } }),
      puts.put({ pk: { S: 'delivery#1#crm' }, status: { S: 'delivered' }, httpStatus: { N: '201' } }),
    ]);
    const { Item } = await local.client.send(
      new GetItemCommand({ TableName: local.table, Key: { pk: { S: 'delivery#1#crm' } } }),
    );
    expect(Item?.httpStatus?.N).toBe('201');
  });

  // dynalite never leaves items unprocessed (DynamoDB does when throttled): the answer is faked.
  it('sends items left unprocessed again, and fails them after six rounds (faked UnprocessedItems)', async () => {
    let rounds = 0;
    const throttled = (limit: number): DynamoDBClient =>
      ({
        send: async (command: BatchWriteItemCommand) => {
          rounds += 1;
          if (rounds > limit) return local.client.send(command);
          return { UnprocessedItems: command.input.RequestItems };
        },
      }) as unknown as DynamoDBClient;
    const noWait = (): Promise<void> => Promise.resolve();
    await new GroupedPuts(throttled(2), local.table, (item) => item.pk?.S ?? '', noWait).put({ pk: { S: 'delivery#2#crm' } });
    expect(rounds).toBe(3);
    rounds = 0;
    const failing = new GroupedPuts(throttled(100), local.table, (item) => item.pk?.S ?? '', noWait);
    await expect(failing.put({ pk: { S: 'delivery#3#crm' } })).rejects.toBeInstanceOf(UnprocessedPutError);
    expect(rounds).toBe(6);
  });

  it('rejects every put of a call that fails, and goes on with the next ones', async () => {
    const puts = new GroupedPuts(local.client, 'no-such-table', (item) => item.pk?.S ?? '');
    await expect(puts.put({ pk: { S: 'delivery#4#crm' } })).rejects.toThrow();
    const good = new GroupedPuts(local.client, local.table, (item) => item.pk?.S ?? '');
    await expect(good.put({ pk: { S: 'delivery#4#crm' } })).resolves.toBeUndefined();
  });
});
