import { DynamoEndpointStatus } from '../../../../functions/shared/aws/endpoint-status';
import type { Endpoint } from '../../../../functions/shared/domain/settings';
import { tablePerTest } from '../../../support/tables';

const local = tablePerTest();

const crm: Pick<Endpoint, 'name' | 'url' | 'format'> = { name: 'crm', url: 'https://crm.example/hook', format: 'standard' };
const at = new Date('2026-12-02T10:00:00Z');
const deliveries = (recentAges: number[]) => ({ count: recentAges.length, lastLeadId: '42', at, recentAges });

describe('DynamoEndpointStatus (dynalite)', () => {
  it('without freshForMs, every get reads the table: another writer is seen at once', async () => {
    const mine = new DynamoEndpointStatus(local.client, local.table);
    const other = new DynamoEndpointStatus(local.client, local.table);
    expect(await mine.get(crm)).toEqual({ name: 'crm' });
    await other.markGone(crm, at);
    expect((await mine.get(crm)).goneAt).toBe(at.toISOString());
  });

  it("with freshForMs, a container's own status write stands for the stored item until it is that old", async () => {
    let now = 0;
    const mine = new DynamoEndpointStatus(local.client, local.table, { freshForMs: 2_000, now: () => now });
    const other = new DynamoEndpointStatus(local.client, local.table);
    await other.recordDeliveries('crm', deliveries([1, 2]));
    await mine.recordDeliveries('crm', deliveries([3]));
    // What this write left in the table, the other container's ages included, with no read.
    expect(await mine.get(crm)).toMatchObject({ delivered: 3, recentAges: [3] });

    await other.markGone(crm, at);
    now = 1_999;
    expect((await mine.get(crm)).goneAt).toBeUndefined(); // another container's mark, not seen yet
    now = 2_000;
    expect((await mine.get(crm)).goneAt).toBe(at.toISOString()); // read again: seen
  });

  it("with freshForMs, the container's own 410 mark counts at once, and a changed url brings the endpoint back", async () => {
    const mine = new DynamoEndpointStatus(local.client, local.table, { freshForMs: 60_000 });
    await mine.get(crm);
    await mine.markGone(crm, at);
    expect((await mine.get(crm)).goneAt).toBe(at.toISOString());
    expect((await mine.get({ ...crm, url: 'https://crm.example/new-hook' })).goneAt).toBeUndefined();
  });

  it('with freshForMs, a failed write keeps nothing: the next get reads the table', async () => {
    let now = 0;
    const mine = new DynamoEndpointStatus(local.client, 'no-such-table', { freshForMs: 60_000, now: () => now });
    await expect(mine.recordDeliveries('crm', deliveries([1]))).rejects.toThrow();
    now = 1;
    await expect(mine.get(crm)).rejects.toThrow(); // a read, not a remembered item
  });
});
