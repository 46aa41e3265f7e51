import { fork } from 'node:child_process';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createQueues, sqsClient, type TestQueues } from '../support/local-aws';
import { createStateTable } from '../support/tables';
import type { AcceptedCount, GatewayInfo, ServicesCall, ServicesReady, ServicesReply } from './services';

/**
 * The local servers every benchmark runs against, on loopback, in two helper processes
 * (services.ts): one for the AWS side (dynalite, fauxqs started with `await import('fauxqs')`,
 * the local Secrets Manager), one for the internet side (simulated gateways, webhook
 * receivers). This process keeps only the code under test and its SDK clients, as a Lambda
 * container would, so its CPU figures are the product's own.
 */
export interface BenchServers {
  ddb: DynamoDBClient;
  dynamoEndpoint: string;
  sqs: SQSClient;
  sqsEndpoint: string;
  secretsEndpoint: string;
  newTable(): Promise<string>;
  newQueues(opts?: { maxReceiveCount?: number; visibilityTimeout?: number }): Promise<TestQueues>;
  /** Visible + in-flight messages. */
  depth(queueUrl: string): Promise<number>;
  /** A simulated Alimama gateway holding `count` sample leads, answering after `latencyMs`. */
  gateway(opts: { count: number; startId: string; latencyMs: number }): Promise<GatewayInfo & { close(): Promise<void> }>;
  /** `count` webhook receivers answering 200 after `delayMs`. */
  receivers(
    count: number,
    delayMs: number,
  ): Promise<{ urls: string[]; accepted(): Promise<AcceptedCount[]>; close(): Promise<void> }>;
  setSecret(arn: string, value: string): Promise<void>;
  close(): Promise<void>;
}

const TSX = path.resolve(__dirname, '../../functions/cli/tsx.cjs');

interface ServicesProcess {
  ready: ServicesReady;
  call: <T>(request: ServicesCall) => Promise<T>;
  close: () => Promise<void>;
}

/** One services.ts process; `call` sends it a request and resolves with its reply. */
async function startServices(): Promise<ServicesProcess> {
  const child = fork(TSX, [path.join(__dirname, 'services.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = await new Promise<ServicesReady>((resolve, reject) => {
    child.on('message', (reply: ServicesReply) => {
      if (reply.type === 'ready') return resolve(reply);
      const entry = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.ok) entry?.resolve(reply.value);
      else entry?.reject(new Error(`bench services: ${reply.error}`));
    });
    void exited.then((code) => {
      reject(new Error(`bench services exited (code ${code})`));
      for (const entry of waiting.values()) entry.reject(new Error(`bench services exited (code ${code})`));
    });
  });
  const call = <T>(request: ServicesCall): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: (value) => resolve(value as T), reject });
      child.send({ ...request, id });
    });
  return {
    ready,
    call,
    close: async () => {
      await call<null>({ op: 'shutdown' }).catch(() => undefined);
      await exited;
    },
  };
}

export async function startBenchServers(): Promise<BenchServers> {
  // Two processes, as in production the gateway and the webhooks are not on the machine that
  // runs SQS and DynamoDB: a page or a webhook answer is not held up behind the simulators.
  const [services, internet] = await Promise.all([startServices(), startServices()]);
  const { dynamoEndpoint, sqsEndpoint, secretsEndpoint } = services.ready;
  const call = services.call;
  // test/support/local-aws.ts finds the SQS server through this variable (jest's globalSetup sets it in tests).
  process.env.FAUXQS_ENDPOINT = sqsEndpoint;
  const ddb = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const sqs = sqsClient();
  return {
    ddb,
    dynamoEndpoint,
    sqs,
    sqsEndpoint,
    secretsEndpoint,
    newTable: () => createStateTable(ddb),
    newQueues: (opts) => createQueues(sqs, opts),
    depth: async (queueUrl) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
    gateway: async (opts) => {
      const info = await internet.call<GatewayInfo>({ op: 'gateway', ...opts, seed: `bench-${opts.startId}` });
      return { ...info, close: () => internet.call<null>({ op: 'close-gateway', url: info.url }).then(() => undefined) };
    },
    receivers: async (count, delayMs) => {
      const urls = await internet.call<string[]>({ op: 'receivers', count, delayMs });
      return {
        urls,
        accepted: () => internet.call<AcceptedCount[]>({ op: 'accepted', urls }),
        close: () => internet.call<null>({ op: 'close-receivers', urls }).then(() => undefined),
      };
    },
    setSecret: (arn, value) => call<null>({ op: 'secret', arn, value }).then(() => undefined),
    close: async () => {
      ddb.destroy();
      sqs.destroy();
      await Promise.all([services.close(), internet.close()]);
    },
  };
}
