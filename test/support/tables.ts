import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStateTable, startDynalite, type LocalDynamo } from './local-aws';

export { createStateTable } from './local-aws';

/** What `tablePerTest` gives a test file: read its fields inside tests, after the hooks ran. */
export interface TablePerTest {
  readonly client: DynamoDBClient;
  readonly table: string;
}

/**
 * Registers the jest hooks most DynamoDB tests share: one in-memory dynalite for the file and a
 * fresh state table for each test.
 */
export function tablePerTest(): TablePerTest {
  let dynamo: LocalDynamo | undefined;
  let table: string | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo?.close());
  beforeEach(async () => {
    table = await createStateTable(dynamo!.client);
  });
  return {
    get client() {
      return dynamo!.client;
    },
    get table() {
      return table!;
    },
  };
}
