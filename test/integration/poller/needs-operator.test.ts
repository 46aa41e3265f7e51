import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Context } from 'aws-lambda';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../../functions/local/emulators/secrets-server';
import { ENV } from '../../../functions/shared/config/stack-contract';
import { NEEDS_OPERATOR } from '../../../functions/shared/observability/needs-operator';
import { fauxqsEndpoint, localAwsPerTest } from '../../support/local-aws';

/**
 * What the real poller handler counts as NeedsOperator (the one alarm for events a person must
 * act on, infra/alarms.ts), against the simulated gateway, dynalite and fauxqs: polls kept from
 * reading by a TOP ban for NO_POLL_INTERVALS intervals (no Lambda error, so only the poller can
 * tell), once per stall; an authorization failure, once per run of them. Only the clock is
 * faked (Date), to let five minutes pass between polls; timers and I/O are real.
 */

const aws = localAwsPerTest();
let gateway: SimulatedGateway;
let secrets: LocalSecretsManager;
const ARN = (name: string): string => `arn:aws:secretsmanager:us-east-1:000000000000:secret:ops-${name}`;

/** Every JSON line the process wrote on stdout and stderr while the handler ran. */
const lines: Record<string, unknown>[] = [];
const writes = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };

function keep(chunk: unknown): void {
  for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
}

afterAll(async () => {
  process.stdout.write = writes.stdout;
  process.stderr.write = writes.stderr;
  jest.useRealTimers();
  await Promise.all([gateway?.close(), secrets?.close()]);
});

function context(): Context {
  const deadline = Date.now() + 90_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ops-poller',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ops-poller',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ops-poller',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The NeedsOperator causes logged, and how many NeedsOperator the EMF documents counted, since `from`. */
function since(from: number): { causes: unknown[]; counted: number } {
  const recent = lines.slice(from);
  return {
    causes: recent.filter((line) => 'needsOperator' in line).map((line) => line.needsOperator),
    counted: recent
      .filter((line) => '_aws' in line)
      .flatMap((line) => [line.NeedsOperator ?? []].flat())
      .reduce((sum: number, value) => sum + Number(value), 0),
  };
}

it('counts a stall of banned polls once, after five intervals, and an authorization failure once per run', async () => {
  gateway = await startSimulatedGateway({ leads: generateLeads(3, { startId: '550000' }), maxSkewMs: 86_400_000 });
  secrets = await startLocalSecretsManager({ [ARN('app')]: gateway.appSecret, [ARN('session')]: gateway.sessionKey });
  Object.assign(process.env, {
    [ENV.stateTable]: aws.table,
    [ENV.leadsQueueUrl]: aws.queues.queueUrl,
    [ENV.topAppKey]: gateway.appKey,
    [ENV.topGatewayUrl]: gateway.url,
    [ENV.pageSize]: '100',
    [ENV.startFrom]: 'all',
    [ENV.pollIntervalSeconds]: '60',
    [ENV.topAppSecretArn]: ARN('app'),
    [ENV.topSessionKeyArn]: ARN('session'),
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: fauxqsEndpoint(),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_SERVICE_NAME: 'ops',
    POWERTOOLS_METRICS_NAMESPACE: 'LeadForwarder',
  });
  delete process.env[ENV.tickQueueUrl];
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
  process.stdout.write = (chunk: unknown) => (keep(chunk), true);
  process.stderr.write = (chunk: unknown) => (keep(chunk), true);
  // Loaded now, as Lambda loads it: it reads the environment (and makes its logger) at module load.
  const load = createRequire(__filename);
  const poller = load('../../../functions/poller/handler') as typeof import('../../../functions/poller/handler');
  const minute = (): void => jest.setSystemTime(Date.now() + 60_000);

  expect(await poller.handler({}, context())).toMatchObject({ enqueued: 3 });
  // Banned for an hour from now on: each poll stops before its first page, which is no error.
  gateway.setFault({ kind: 'rate-limit', banSeconds: 3_600 });
  const banned: { causes: unknown[]; counted: number }[] = [];
  for (let m = 1; m <= 7; m += 1) {
    minute();
    const from = lines.length;
    expect(await poller.handler({}, context())).toMatchObject({ pages: 0, stoppedEarly: 'rate-limited' });
    banned.push(since(from));
  }
  // Five minutes after the last success, once.
  expect(banned.map((b) => b.counted)).toEqual([0, 0, 0, 0, 1, 0, 0]);
  expect(banned[4]!.causes).toEqual([NEEDS_OPERATOR.noSuccessfulPoll]);

  gateway.setFault(undefined);
  minute();
  expect(await poller.handler({}, context())).toMatchObject({ pages: 1 });
  gateway.setSessionExpired(true);
  const refused: { causes: unknown[]; counted: number }[] = [];
  for (let m = 1; m <= 3; m += 1) {
    minute();
    const from = lines.length;
    await expect(poller.handler({}, context())).rejects.toThrow(/27/);
    refused.push(since(from));
  }
  expect(refused).toEqual([
    { causes: [NEEDS_OPERATOR.topAuthorization], counted: 1 },
    { causes: [], counted: 0 },
    { causes: [], counted: 0 },
  ]);
}, 60_000);
