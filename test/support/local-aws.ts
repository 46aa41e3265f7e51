import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ensureStateTable, startDynamoServer } from '../../functions/local/emulators/dynamo-server';

/** Real local servers for tests: an in-process dynalite per test file, the run's fauxqs. */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** The local runner's dynalite, in memory, with a client for it. */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = await startDynamoServer();
  const client = new DynamoDBClient({ endpoint: server.endpoint, region, credentials });
  return {
    endpoint: server.endpoint,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

/** The stack's table shape (partition key `pk`), as the local runner creates it, under a fresh name. */
export async function createStateTable(ddb: DynamoDBClient): Promise<string> {
  const name = `state-${randomUUID().slice(0, 8)}`;
  await ensureStateTable(ddb, name);
  return name;
}

export function fauxqsEndpoint(): string {
  const endpoint = process.env.FAUXQS_ENDPOINT;
  if (endpoint === undefined)
    throw new Error('FAUXQS_ENDPOINT is not set: run the tests through jest (its globalSetup starts fauxqs)');
  return endpoint;
}

/** fauxqs queue URLs name a host that does not resolve here, so the client pins the endpoint. */
export function sqsClient(): SQSClient {
  return new SQSClient({ endpoint: fauxqsEndpoint(), region, credentials, useQueueUrlAsEndpoint: false });
}

export interface TestQueues {
  queueUrl: string;
  dlqUrl: string;
}

/** A fresh leads queue with its DLQ and redrive, named uniquely so test files never share one. */
export async function createQueues(
  sqs: SQSClient,
  opts: { maxReceiveCount?: number; visibilityTimeout?: number } = {},
): Promise<TestQueues> {
  const base = `t-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq` }));
  const dlqUrl = dlq.QueueUrl!;
  const dlqArn = `arn:aws:sqs:${region}:000000000000:${base}-dlq`;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: base,
      Attributes: {
        VisibilityTimeout: String(opts.visibilityTimeout ?? 30),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: opts.maxReceiveCount ?? 5 }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl!, dlqUrl };
}

/** What `localAwsPerTest` gives a test file: read its fields inside tests, after the hooks ran. */
export interface LocalAwsPerTest {
  readonly dynamo: LocalDynamo;
  readonly sqs: SQSClient;
  readonly table: string;
  readonly queues: TestQueues;
}

/**
 * Registers the jest hooks the forwarder and poller tests share: one in-memory dynalite and an
 * SQS client for the file, a fresh state table and leads queue (with its DLQ) for each test.
 */
export function localAwsPerTest(queueOptions: { maxReceiveCount?: number; visibilityTimeout?: number } = {}): LocalAwsPerTest {
  let dynamo: LocalDynamo | undefined;
  let sqs: SQSClient | undefined;
  let table: string | undefined;
  let queues: TestQueues | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
    sqs = sqsClient();
  });
  afterAll(async () => {
    await dynamo?.close();
    sqs?.destroy();
  });
  beforeEach(async () => {
    table = await createStateTable(dynamo!.client);
    queues = await createQueues(sqs!, queueOptions);
  });
  return {
    get dynamo() {
      return dynamo!;
    },
    get sqs() {
      return sqs!;
    },
    get table() {
      return table!;
    },
    get queues() {
      return queues!;
    },
  };
}
