import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** dynalite on loopback, its LevelDB under `dir` (the cursor and the ledger survive restarts), or in memory without one. */
export interface DynamoServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite; with a `dir`, the caller must hold the state directory's lock (see lock.ts). */
export async function startDynamoServer(dir?: string): Promise<DynamoServer> {
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive sockets of SDK clients would hold the close open until they time out.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The stack's table shape (partition key `pk`, String); a table that exists is left as is. */
export async function ensureStateTable(ddb: DynamoDBClient, table: string): Promise<void> {
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 100; i += 1) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await sleep(20);
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}
