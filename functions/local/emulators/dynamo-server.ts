import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** dynalite on loopback, its LevelDB under `dir` (the cursor and the ledger survive restarts), or in memory without one. */
export interface DynamoServer {
  endpoint: string;
  close(): Promise<void>;
}

/** The thread's script: plain CommonJS beside this file (the one published with it). */
const THREAD_SCRIPT = join(__dirname, 'dynamo-thread.cjs');

/**
 * Starts dynalite on a worker thread of its own; with a `dir`, the caller must hold the state
 * directory's lock (see lock.ts). DynamoDB runs on other machines in AWS: here its stand-in
 * (request validation, an expression parse per conditional write, LevelDB) would otherwise
 * share one event loop with the handlers and take about a quarter of it, while the second
 * core idles. It is still reached only through its HTTP endpoint, as before.
 */
export async function startDynamoServer(dir?: string): Promise<DynamoServer> {
  const thread = new Worker(THREAD_SCRIPT, { workerData: { path: dir } });
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('message', (message: { port?: number; error?: string }) => {
      if (message.port !== undefined) resolve(message.port);
      else reject(new Error(`dynalite did not start: ${message.error ?? 'no port'}`));
    });
    thread.once('error', reject);
    void exited.then(() => reject(new Error('dynalite did not start: its thread exited')));
  });
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => thread.once('message', () => resolve()));
        thread.postMessage('close');
        await Promise.race([closed, exited]);
        await thread.terminate();
      })()),
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
