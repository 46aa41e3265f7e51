import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { readSourceItems, rewindSources } from '../../../../functions/local/state/source-checkpoint';
import { DynamoStateStore, sourceKey } from '../../../../functions/shared/aws/scan-state';
import { tablePerTest } from '../../../support/tables';

const local = tablePerTest();

const store = (appKey: string): DynamoStateStore => new DynamoStateStore(local.client, local.table, sourceKey(appKey));

describe('rewindSources (dynalite)', () => {
  it('puts back what the save recorded, deletes the sources it did not record, and leaves everything else', async () => {
    await store('moved').save({ cursor: '100', seen: [] }, 0);
    await store('still').save({ cursor: '50', seen: [] }, 0);
    await local.client.send(
      new PutItemCommand({ TableName: local.table, Item: { pk: { S: 'ledger#1#crm' }, status: { S: 'delivered' } } }),
    );
    const recorded = await readSourceItems(local.client, local.table); // the save
    await store('moved').save({ cursor: '180', seen: [] }, 1); // then the kill: leads up to 180 were only in memory
    await store('new').save({ cursor: '900', seen: [] }, 0); // a source created after the save

    expect((await rewindSources(local.client, local.table, recorded)).sort()).toEqual([sourceKey('moved'), sourceKey('new')]);
    expect(await store('moved').load()).toMatchObject({ version: 1, cursor: '100' });
    expect(await store('still').load()).toMatchObject({ version: 1, cursor: '50' });
    expect(await store('new').load()).toEqual({ version: 0, seen: [] }); // its next poll is a first run
    const { Item } = await local.client.send(new GetItemCommand({ TableName: local.table, Key: { pk: { S: 'ledger#1#crm' } } }));
    expect(Item).toBeDefined();
  });

  it('with an empty record (a save before the first poll) every source starts over; a matching record changes nothing', async () => {
    const empty = await readSourceItems(local.client, local.table);
    await store('k').save({ scan: { top: '30', floor: '0', next: '21', seen: [] }, seen: [] }, 0);
    expect(await rewindSources(local.client, local.table, empty)).toEqual([sourceKey('k')]);
    expect(await readSourceItems(local.client, local.table)).toEqual([]);

    await store('k').save({ cursor: '30', seen: [] }, 0);
    expect(await rewindSources(local.client, local.table, await readSourceItems(local.client, local.table))).toEqual([]);
    expect(await store('k').load()).toMatchObject({ version: 1, cursor: '30' });
  });
});
