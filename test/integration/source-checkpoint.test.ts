import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { readSourceItems, rewindSources } from '../../functions/local/source-checkpoint';
import { DynamoStateStore, sourceKey } from '../../functions/shared/aws/scan-state';
import { startDynalite, type LocalDynamo } from '../support/local-aws';
import { createStateTable } from '../support/tables';

let dynamo: LocalDynamo;
let table: string;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  table = await createStateTable(dynamo.client);
});

const store = (appKey: string): DynamoStateStore => new DynamoStateStore(dynamo.client, table, sourceKey(appKey));

describe('rewindSources (dynalite)', () => {
  it('puts back what the save recorded, deletes the sources it did not record, and leaves everything else', async () => {
    await store('moved').save({ cursor: '100', seen: [] }, 0);
    await store('still').save({ cursor: '50', seen: [] }, 0);
    await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'ledger#1#crm' }, status: { S: 'delivered' } } }));
    const recorded = await readSourceItems(dynamo.client, table); // the save
    await store('moved').save({ cursor: '180', seen: [] }, 1); // then the kill: leads up to 180 were only in memory
    await store('new').save({ cursor: '900', seen: [] }, 0); // a source created after the save

    expect((await rewindSources(dynamo.client, table, recorded)).sort()).toEqual([sourceKey('moved'), sourceKey('new')]);
    expect(await store('moved').load()).toMatchObject({ version: 1, cursor: '100' });
    expect(await store('still').load()).toMatchObject({ version: 1, cursor: '50' });
    expect(await store('new').load()).toEqual({ version: 0, seen: [] }); // its next poll is a first run
    const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'ledger#1#crm' } } }));
    expect(Item).toBeDefined();
  });

  it('with an empty record (a save before the first poll) every source starts over; a matching record changes nothing', async () => {
    const empty = await readSourceItems(dynamo.client, table);
    await store('k').save({ scan: { top: '30', floor: '0', next: '21', seen: [] }, seen: [] }, 0);
    expect(await rewindSources(dynamo.client, table, empty)).toEqual([sourceKey('k')]);
    expect(await readSourceItems(dynamo.client, table)).toEqual([]);

    await store('k').save({ cursor: '30', seen: [] }, 0);
    expect(await rewindSources(dynamo.client, table, await readSourceItems(dynamo.client, table))).toEqual([]);
    expect(await store('k').load()).toMatchObject({ version: 1, cursor: '30' });
  });
});
