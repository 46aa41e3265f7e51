import { endStaleClaims } from '../../../../functions/local/state/stale-claims';
import { DynamoLedger } from '../../../../functions/shared/aws/ledger';
import { tablePerTest } from '../../../support/tables';

const local = tablePerTest();

const LEASE_MS = 60_000;

describe('endStaleClaims (dynalite)', () => {
  it('ends the leases of claims a dead runner left, so the next attempt can claim at once; settled records stay settled', async () => {
    const dead = new DynamoLedger(local.client, local.table);
    await dead.claim('1', 'crm', LEASE_MS, false); // in flight when the runner died
    await dead.claim('2', 'crm', LEASE_MS, false);
    await dead.delivered('2', 'crm', 200);
    const refused = await dead.claim('3', 'crm', LEASE_MS, false);
    if (refused.kind !== 'claimed') throw new Error('setup: expected a claim');
    await dead.rejected('3', 'crm', refused.token, 'HTTP 422 from crm');

    const next = new DynamoLedger(local.client, local.table);
    expect(await next.claim('1', 'crm', LEASE_MS, false)).toEqual({ kind: 'busy' }); // before: wait out the lease

    expect(await endStaleClaims(local.client, local.table)).toBe(1);
    expect(await next.claim('1', 'crm', LEASE_MS, false)).toMatchObject({ kind: 'claimed' });
    expect(await next.claim('2', 'crm', LEASE_MS, false)).toEqual({ kind: 'delivered' });
    expect(await next.claim('3', 'crm', LEASE_MS, false)).toEqual({ kind: 'rejected', reason: 'HTTP 422 from crm' });
  });

  it('finds nothing to end in an empty local.table', async () => {
    expect(await endStaleClaims(local.client, local.table)).toBe(0);
  });
});
