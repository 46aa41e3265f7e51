import type { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../../functions/local/emulators/secrets-server';
import type { PollSummary } from '../../../functions/poller/handler';
import { DynamoStateStore, sourceKey } from '../../../functions/shared/aws/scan-state';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { buildBundles, lambdaEnvironment, startLambda, type Bundles } from '../../support/bench-lambda';
import {
  createQueues,
  fauxqsEndpoint,
  sqsClient,
  startDynalite,
  type LocalDynamo,
  type TestQueues,
} from '../../support/local-aws';
import { recordFigures } from '../../support/reliability-figures';
import { drainWith, deadLetters, endpoint } from '../../support/reliability-forwarder';
import { between, seededRandom, unitFromKey } from '../../support/reliability-random';
import { audit, startRecordingReceiver, type RecordingReceiver } from '../../support/reliability-receiver';
import { createStateTable } from '../../support/tables';

/**
 * Crash anywhere: the deployed poller bundle runs in its own `node` process (the real handler,
 * its module-scope wiring, Secrets Manager, DynamoDB, SQS, the gateway) and is SIGKILLed at a
 * random moment of many invocations while the lead set keeps growing, some leads arriving in
 * the middle of a scan. Then one invocation runs to the end and the real forwarder drains the
 * queue: every lead must reach every endpoint, and no endpoint that answered 2xx for a lead may
 * see it again, however many copies of it the crashes left on the queue.
 */

const SEED = 20261129;
const RUNS = 24;
const PAGE_SIZE = 5;
const INITIAL_LEADS = 60;
const ARN = {
  appSecret: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:reliability/top-app-secret',
  sessionKey: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:reliability/top-session-key',
};

let dynamo: LocalDynamo;
let sqs: SQSClient;
let secrets: LocalSecretsManager;
let gateway: SimulatedGateway;
let bundles: Bundles;
let table: string;
let queues: TestQueues;
const receivers: RecordingReceiver[] = [];

beforeAll(async () => {
  [dynamo, secrets, bundles] = await Promise.all([startDynalite(), startLocalSecretsManager(), buildBundles(['poller'])]);
  sqs = sqsClient();
  // A little latency per call, so an invocation spans many I/O steps a kill can land between.
  gateway = await startSimulatedGateway({
    leads: generateLeads(INITIAL_LEADS, { startId: '5000', maxIdGap: 3, seed: SEED }),
    latencyMs: 2,
  });
  secrets.set(ARN.appSecret, gateway.appSecret);
  secrets.set(ARN.sessionKey, gateway.sessionKey);
  table = await createStateTable(dynamo.client);
  queues = await createQueues(sqs, { maxReceiveCount: 10 });
}, 60_000);

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await gateway.close();
  await secrets.close();
  await dynamo.close();
  sqs.destroy();
  await bundles.remove();
});

function pollerEnv(): Record<string, string> {
  return lambdaEnvironment({
    endpoints: { dynamo: dynamo.endpoint, sqs: fauxqsEndpoint(), secretsManager: secrets.endpoint },
    table,
    queueUrl: queues.queueUrl,
    secretArns: ARN,
    top: { appKey: gateway.appKey, gatewayUrl: gateway.url, pageSize: PAGE_SIZE, startFrom: 'all' },
  });
}

type RunOutcome =
  | { kind: 'killed'; afterMs: number; gatewayCalls: number }
  | { kind: 'completed'; ms: number; summary: PollSummary }
  | { kind: 'failed'; error: string };

/** One poller invocation in a fresh process, SIGKILLed `killAfterMs` after the invocation starts unless it ends first. */
async function invocation(killAfterMs: number | undefined): Promise<RunOutcome> {
  const lambda = startLambda(bundles, bundles.files.poller, pollerEnv());
  await lambda.loaded;
  const callsBefore = gateway.requests.length;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'killed'>((resolve) => {
    if (killAfterMs === undefined) return;
    timer = setTimeout(() => {
      lambda.child.kill('SIGKILL');
      resolve('killed');
    }, killAfterMs);
  });
  const done = lambda.invoke({}, 30_000).then(
    (result) => result,
    () => 'died' as const,
  );
  const first = await Promise.race([done, killed]);
  clearTimeout(timer);
  if (first === 'killed' || first === 'died') {
    const { signal } = await lambda.exited;
    if (signal === 'SIGKILL')
      return { kind: 'killed', afterMs: Date.now() - started, gatewayCalls: gateway.requests.length - callsBefore };
    return { kind: 'failed', error: `the poller process died on its own: ${lambda.stderr().slice(-1_000)}` };
  }
  const ms = Date.now() - started;
  await lambda.stop();
  if (!first.ok) return { kind: 'failed', error: first.error };
  return { kind: 'completed', ms, summary: first.value as PollSummary };
}

it('SIGKILL at random points of many poller invocations over a growing lead set: every lead reaches every endpoint, no 2xx endpoint sees a lead twice', async () => {
  const random = seededRandom(SEED);
  let nextId = 100_000;
  const addLeads = (count: number): void => {
    gateway.addLeads(generateLeads(count, { startId: String(nextId), maxIdGap: 3, seed: nextId }));
    nextId += count * 4 + 1;
  };
  const outcomes: RunOutcome[] = [];
  const began = Date.now();
  // The kill window adapts to how long a whole invocation takes on this machine, so kills
  // spread over the invocation instead of all landing after it ended.
  let window = 300;
  for (let run = 0; run < RUNS; run += 1) {
    addLeads(between(random, 4, 16));
    let midScan: NodeJS.Timeout | undefined;
    // A third of the runs also get leads in the middle of the scan (DESIGN §2.5).
    if (random() < 1 / 3) midScan = setTimeout(() => addLeads(between(random, 1, 8)), between(random, 0, window));
    // One run in eight is left alone: completed invocations are part of the history too.
    const outcome = await invocation(random() < 1 / 8 ? undefined : between(random, 0, window));
    clearTimeout(midScan);
    outcomes.push(outcome);
    if (outcome.kind === 'completed') window = Math.max(40, Math.round(outcome.ms * 1.1));
  }
  const failures = outcomes.filter((o): o is Extract<RunOutcome, { kind: 'failed' }> => o.kind === 'failed');
  expect(failures.map((f) => f.error)).toEqual([]);

  // Then the poller runs to the end: one invocation finishes the interrupted scan, a second
  // picks up whatever arrived during the first.
  const finals: RunOutcome[] = [await invocation(undefined), await invocation(undefined)];
  for (const f of finals) expect(f.kind).toBe('completed');
  const state = await new DynamoStateStore(dynamo.client, table, sourceKey(gateway.appKey)).load();
  expect(state.scan).toBeUndefined();
  expect(state.cursor).toBe(gateway.leads[0]!.id);

  const pollPhaseMs = Date.now() - began;
  const crm = await startRecordingReceiver();
  const erp = await startRecordingReceiver();
  // One endpoint also fails now and then, so the ledger's retries meet the crash duplicates.
  const bot = await startRecordingReceiver((id, attempt) =>
    unitFromKey(SEED, 'bot', id, attempt) < 0.15 ? { kind: 'answer', status: 503 } : { kind: 'answer', status: 200 },
  );
  receivers.push(crm, erp, bot);
  const records = await drainWith(
    {
      ddb: dynamo.client,
      sqs,
      table,
      queues,
      endpoints: [endpoint('crm', crm.url), endpoint('erp', erp.url), endpoint('bot', bot.url)],
      maxReceiveCount: 10,
      backoffSeconds: 0,
    },
    3,
  );

  const drainMs = Date.now() - began - pollPhaseMs;
  const leadIds = gateway.leads.map((l) => l.id);
  const result = audit({ crm, erp, bot }, leadIds);
  const messages = new Set(records.map((r) => r.messageId)).size;
  const killed = outcomes.filter((o): o is Extract<RunOutcome, { kind: 'killed' }> => o.kind === 'killed');
  recordFigures('crash', {
    runs: RUNS + finals.length,
    crashesInjected: killed.length,
    completedInvocations: outcomes.length - killed.length - failures.length + finals.length,
    killPointsGatewayCalls: killed.map((k) => k.gatewayCalls),
    leads: leadIds.length,
    queueMessages: messages,
    resentByCrashes: messages - leadIds.length,
    endpoints: 3,
    deliveries: result.deliveries,
    attempts: result.attempts,
    losses: result.losses.length,
    duplicates: result.duplicates.length,
    pollPhaseMs,
    drainMs,
  });
  expect(result.losses).toEqual([]);
  expect(result.duplicates).toEqual([]);
  expect(crm.mismatched + erp.mismatched + bot.mismatched).toBe(0);
  expect(await deadLetters(sqs, queues.dlqUrl)).toEqual([]);
  // Kills land anywhere (loading secrets, reading state, mid-scan); enough of them inside a scan.
  expect(killed.filter((k) => k.gatewayCalls > 0).length).toBeGreaterThanOrEqual(RUNS / 6);
}, 120_000);
