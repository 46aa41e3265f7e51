import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoLedger, LEDGER_TTL_DAYS, ledgerKey } from '../../../../functions/shared/aws/ledger';
import { tablePerTest } from '../../../support/tables';

const local = tablePerTest();

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const expiresAt = async (leadId: string, endpoint: string): Promise<number> =>
  Number(
    (await local.client.send(new GetItemCommand({ TableName: local.table, Key: { pk: { S: ledgerKey(leadId, endpoint) } } })))
      .Item?.expiresAt?.N,
  );

describe('DynamoLedger (dynalite)', () => {
  it('a settled record met again (a replay, a duplicate) lives another full term, so it outlives the copy that met it', async () => {
    let now = T0;
    const ledger = new DynamoLedger(local.client, local.table, () => now);
    const claim = await ledger.claim('7', 'crm', 60_000, false);
    expect(claim.kind).toBe('claimed');
    await ledger.delivered('7', 'crm', 200);
    const refused = await ledger.claim('7', 'erp', 60_000, false);
    if (refused.kind !== 'claimed') throw new Error('setup: expected a claim');
    await ledger.rejected('7', 'erp', refused.token, 'HTTP 422 from erp');
    expect(await expiresAt('7', 'crm')).toBe(T0 / 1000 + LEDGER_TTL_DAYS * 86_400);

    now = T0 + DAY_MS; // a retry for another endpoint the next day: the record has life enough, no write
    expect(await ledger.claim('7', 'crm', 60_000, false)).toEqual({ kind: 'delivered' });
    expect(await expiresAt('7', 'crm')).toBe(T0 / 1000 + LEDGER_TTL_DAYS * 86_400);

    now = T0 + 30 * DAY_MS; // a replay 30 days later, 5 days before the records would expire
    expect(await ledger.claim('7', 'crm', 60_000, false)).toEqual({ kind: 'delivered' });
    expect(await ledger.claim('7', 'erp', 60_000, false)).toMatchObject({ kind: 'rejected' });
    expect(await expiresAt('7', 'crm')).toBe(now / 1000 + LEDGER_TTL_DAYS * 86_400);
    expect(await expiresAt('7', 'erp')).toBe(now / 1000 + LEDGER_TTL_DAYS * 86_400);
  });

  it('wasDelivered is true only once the endpoint accepted, and reading it claims nothing', async () => {
    const ledger = new DynamoLedger(local.client, local.table);
    expect(await ledger.wasDelivered('8', 'crm')).toBe(false);
    const claim = await ledger.claim('8', 'crm', 60_000, false);
    if (claim.kind !== 'claimed') throw new Error('setup: expected a claim');
    expect(await ledger.wasDelivered('8', 'crm')).toBe(false);
    await ledger.delivered('8', 'crm', 200);
    expect(await ledger.wasDelivered('8', 'crm')).toBe(true);
    expect(await ledger.wasDelivered('8', 'erp')).toBe(false);
    expect(await ledger.claim('8', 'erp', 60_000, false)).toMatchObject({ kind: 'claimed' });
  });
});
