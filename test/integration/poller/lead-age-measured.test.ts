import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../../functions/local/emulators/secrets-server';
import { ENV } from '../../../functions/shared/config/stack-contract';
import { fauxqsEndpoint, localAwsPerTest } from '../../support/local-aws';
import { startReceiver, type Receiver } from '../../support/receiver';

/**
 * A local measurement of lead age at delivery (DESIGN §8: goal median ≤ interval/2 + 2 s) with
 * the real poller and forwarder handlers and the tick fan-out: this test plays only the AWS
 * services around them: the scheduler (one scheduled invocation), the tick queue's trigger and
 * the leads queue's trigger (receive, invoke, delete), all against fauxqs. Leads appear at the
 * simulated gateway one at a time, at unannounced moments, with gmt_create = when they appear.
 */

const INTERVAL_SECONDS = 5;
const LEADS = 6;
const RUN_MS = 32_000;

const aws = localAwsPerTest();
let gateway: SimulatedGateway;
let receiver: Receiver;
let secrets: LocalSecretsManager;
/** When the receiver accepted each lead (epoch ms), by lead id. */
const acceptedAt = new Map<string, number>();

const ARN = (name: string): string => `arn:aws:secretsmanager:us-east-1:000000000000:secret:age-${name}`;

afterAll(async () => {
  await Promise.all([gateway?.close(), receiver?.close(), secrets?.close()]);
});

function context(name: string, budgetMs: number): Context {
  const deadline = Date.now() + budgetMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function toRecord(message: Message, queue: string): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [
        key,
        { dataType: value.DataType ?? 'String', ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }) },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: 'us-east-1',
  };
}

/** What Lambda's SQS trigger does: receive (long poll), invoke, delete what the invocation settled. */
async function trigger(
  sqs: SQSClient,
  queueUrl: string,
  batchSize: number,
  invoke: (event: SQSEvent) => Promise<unknown>,
  until: () => boolean,
): Promise<void> {
  while (!until()) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 90,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) continue;
    const response = (await invoke({ Records: Messages.map((m) => toRecord(m, 'q')) })) as Partial<SQSBatchResponse> | undefined;
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const done = Messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

it(`leads appearing one at a time reach the receiver with a median age ≤ interval/2 + 2 s at rate(${INTERVAL_SECONDS} seconds)`, async () => {
  gateway = await startSimulatedGateway({ leads: [] });
  receiver = await startReceiver((_n, request) => {
    const id = (request.json as { data?: { id?: string } } | undefined)?.data?.id;
    if (id !== undefined && !acceptedAt.has(id)) acceptedAt.set(id, Date.now());
    return { status: 200 };
  });
  secrets = await startLocalSecretsManager({
    [ARN('app')]: gateway.appSecret,
    [ARN('session')]: gateway.sessionKey,
    [ARN('webhooks')]: JSON.stringify([{ name: 'crm', url: receiver.url }]),
  });
  const ticks = (await aws.sqs.send(new CreateQueueCommand({ QueueName: `ticks-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
  Object.assign(process.env, {
    [ENV.stateTable]: aws.table,
    [ENV.leadsQueueUrl]: aws.queues.queueUrl,
    [ENV.dlqUrl]: aws.queues.dlqUrl,
    [ENV.maxReceiveCount]: '5',
    [ENV.leadsRetentionSeconds]: '345600',
    [ENV.topAppKey]: gateway.appKey,
    [ENV.topGatewayUrl]: gateway.url,
    [ENV.pageSize]: '100',
    [ENV.startFrom]: 'all',
    [ENV.pollIntervalSeconds]: String(INTERVAL_SECONDS),
    [ENV.tickQueueUrl]: ticks,
    [ENV.topAppSecretArn]: ARN('app'),
    [ENV.topSessionKeyArn]: ARN('session'),
    [ENV.webhooksSecretArn]: ARN('webhooks'),
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: fauxqsEndpoint(),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  // Loaded now, as Lambda loads them: they read the environment at module load.
  const load = createRequire(__filename);
  const poller = load('../../../functions/poller/handler') as typeof import('../../../functions/poller/handler');
  const forwarder = load('../../../functions/forwarder/handler') as typeof import('../../../functions/forwarder/handler');

  const started = Date.now();
  const over = (): boolean => Date.now() - started > RUN_MS;
  // The scheduler's one invocation of this minute; it fans out the rest.
  await poller.handler({}, context('poller', 90_000));
  const triggers = Promise.all([
    trigger(aws.sqs, ticks, 1, (event) => poller.handler(event, context('poller', 90_000)), over),
    trigger(aws.sqs, aws.queues.queueUrl, 10, (event) => forwarder.handler(event, context('forwarder', 120_000)), over),
  ]);

  // Leads appear at moments that owe nothing to the tick times (spread over the run, off the 5-s grid).
  const created = new Map<string, number>();
  for (let i = 0; i < LEADS; i += 1) {
    await sleep(1_700 + ((i * 2_311) % 3_000));
    const [lead] = generateLeads(1, { startId: String(7000 + i), seed: i });
    const now = Date.now();
    gateway.addLeads([{ ...lead!, gmt_create: now, gmt_modified: now }]);
    created.set(lead!.id, now);
  }
  await triggers;

  const ages = [...created].map(([id, at]) => ((acceptedAt.get(id) ?? Number.NaN) - at) / 1000);
  const goal = INTERVAL_SECONDS / 2 + 2;
  process.stdout.write(
    `lead age at delivery, rate(${INTERVAL_SECONDS} seconds), ${LEADS} leads: median ${median(ages).toFixed(2)} s, max ${Math.max(...ages).toFixed(2)} s (goal: median ≤ ${goal} s); ages ${ages.map((a) => a.toFixed(2)).join(', ')}\n`,
  );
  expect(ages.every((age) => Number.isFinite(age) && age >= 0)).toBe(true);
  expect(median(ages)).toBeLessThanOrEqual(goal);
}, 60_000);
