import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';

/** Real local servers for tests: an in-process dynalite per test file, the run's fauxqs. */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region, credentials });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function fauxqsEndpoint(): string {
  const endpoint = process.env.FAUXQS_ENDPOINT;
  if (endpoint === undefined) throw new Error('FAUXQS_ENDPOINT is not set: run the tests through jest (its globalSetup starts fauxqs)');
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
export async function createQueues(sqs: SQSClient, opts: { maxReceiveCount?: number; visibilityTimeout?: number } = {}): Promise<TestQueues> {
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
