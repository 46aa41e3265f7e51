import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_KEY_PREFIX } from '../../shared/aws/ledger';
import { scanAll } from './table-scan';

/**
 * Delivery claims left by a local runner that died mid-delivery. One process at a time opens a
 * state directory (lock.ts), so when the runner starts, every claim still `sending` belongs to a
 * process that is gone. Ending their leases lets those leads go out now, instead of after the
 * lease (and, under `--once`, instead of being parked as "another attempt is in flight"). Whether
 * the dead attempt reached its endpoint is unknown either way: this only shortens the wait.
 * Returns how many claims were ended.
 */
export async function endStaleClaims(ddb: DynamoDBClient, table: string): Promise<number> {
  const claims = await scanAll(ddb, table, {
    expression: 'begins_with(pk, :prefix) AND #s = :sending',
    names: { '#s': 'status' },
    values: { ':prefix': { S: LEDGER_KEY_PREFIX }, ':sending': { S: 'sending' } },
  });
  let ended = 0;
  for (const item of claims) {
    if (item.pk === undefined || item.token === undefined) continue;
    try {
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: item.pk },
          UpdateExpression: 'SET leaseUntil = :ended',
          // Only the claim as scanned: never a newer one, nor a delivery recorded since.
          ConditionExpression: '#s = :sending AND #t = :token',
          ExpressionAttributeNames: { '#s': 'status', '#t': 'token' },
          ExpressionAttributeValues: { ':ended': { N: '0' }, ':sending': { S: 'sending' }, ':token': item.token },
        }),
      );
      ended += 1;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return ended;
}
