import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureStateTable } from '../../functions/local/dynamo-server';

/** The stack's table shape (partition key `pk`), as the local runner creates it, under a fresh name. */
export async function createStateTable(ddb: DynamoDBClient): Promise<string> {
  const name = `state-${randomUUID().slice(0, 8)}`;
  await ensureStateTable(ddb, name);
  return name;
}
