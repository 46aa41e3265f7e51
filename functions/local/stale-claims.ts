import { ConditionalCheckFailedException, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_KEY_PREFIX } from '../shared/aws/ledger';

/**
 * Delivery claims left by a local runner that died mid-delivery. One process at a time opens a
 * state directory (lock.ts), so when the runner starts, every claim still `sending` belongs to a
 * process that is gone. Ending their leases lets those leads go out now, instead of after the
 * lease (and, under `--once`, instead of being parked as "another attempt is in flight"). Whether
 * the dead attempt reached its endpoint is unknown either way: this only shortens the wait.
 * Returns how many claims were ended.
 */
export async function endStaleClaims(ddb: DynamoDBClient, table: string): Promise<number> {
  let ended = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :prefix) AND #s = :sending',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':prefix': { S: LEDGER_KEY_PREFIX }, ':sending': { S: 'sending' } },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) {
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
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return ended;
}
