import type { SQSClient } from '@aws-sdk/client-sqs';
import { poll } from '../../../functions/poller/poll';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { DynamoStateStore, sourceKey } from '../../../functions/shared/aws/scan-state';
import { StateConflictError } from '../../../functions/shared/domain/errors';
import { TopClient } from '../../../functions/shared/taobao/client';
import { TopLeadSource } from '../../../functions/shared/taobao/lead-source';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { createQueues, sqsClient, startDynalite, type LocalDynamo, type TestQueues } from '../../support/local-aws';
import { recordFigures } from '../../support/reliability-figures';
import { deadLetters, drainWith, endpoint, type ForwarderWiring } from '../../support/reliability-forwarder';
import { between, seededRandom, unitFromKey } from '../../support/reliability-random';
import { audit, startRecordingReceiver, type RecordingReceiver } from '../../support/reliability-receiver';
import { createStateTable } from '../../support/tables';

/**
 * Several pollers and several forwarders at once on one state table and one queue, while leads
 * keep arriving: the version check on every state write and the ledger's claims are all that
 * keeps them apart. Nothing may be lost, and no endpoint that accepted a lead may get it again.
 */

const SEED = 42;
const POLLERS = 3;
const FORWARDERS = 3;
const PAGE_SIZE = 25;
const FEED_MS = 3_000;

let dynamo: LocalDynamo;
let sqs: SQSClient;
let gateway: SimulatedGateway;
let table: string;
let queues: TestQueues;
const receivers: RecordingReceiver[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  sqs = sqsClient();
  gateway = await startSimulatedGateway({
    leads: generateLeads(150, { startId: '9000', maxIdGap: 3, seed: SEED }),
    latencyMs: 2,
  });
  table = await createStateTable(dynamo.client);
  queues = await createQueues(sqs, { maxReceiveCount: 15 });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await gateway.close();
  await dynamo.close();
  sqs.destroy();
});

function poller(): () => ReturnType<typeof poll> {
  const client = new TopClient({
    appKey: gateway.appKey,
    appSecret: gateway.appSecret,
    sessionKey: gateway.sessionKey,
    gatewayUrl: gateway.url,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
  });
  const deps = {
    source: new TopLeadSource(client),
    state: new DynamoStateStore(dynamo.client, table, sourceKey(gateway.appKey)),
    queue: new SqsLeadQueue(sqs, queues.queueUrl),
  };
  return () => poll(deps, { pageSize: PAGE_SIZE, startFrom: { kind: 'all' }, deadline: Date.now() + 30_000 });
}

it('several pollers and forwarders at once, leads arriving throughout: nothing lost, no 2xx endpoint receives a lead twice', async () => {
  const random = seededRandom(SEED);
  const crm = await startRecordingReceiver();
  const erp = await startRecordingReceiver();
  const bot = await startRecordingReceiver((id, attempt) =>
    unitFromKey(SEED, id, attempt) < 0.1 ? { kind: 'answer', status: 503 } : { kind: 'answer', status: 200 },
  );
  receivers.push(crm, erp, bot);
  // backoff 1 s, not 0: a lead another forwarder is sending right now ("busy") comes back once
  // that attempt is over instead of spinning through its receives.
  const wiring: ForwarderWiring = {
    ddb: dynamo.client,
    sqs,
    table,
    queues,
    endpoints: [endpoint('crm', crm.url), endpoint('erp', erp.url), endpoint('bot', bot.url)],
    maxReceiveCount: 15,
    backoffSeconds: 1,
  };

  let nextId = 200_000;
  const feedUntil = Date.now() + FEED_MS;
  const feeder = (async () => {
    while (Date.now() < feedUntil) {
      const count = between(random, 1, 8);
      gateway.addLeads(generateLeads(count, { startId: String(nextId), maxIdGap: 2, seed: nextId }));
      nextId += count * 3 + 1;
      await new Promise((resolve) => setTimeout(resolve, between(random, 20, 80)));
    }
  })();
  const tally = { cycles: 0, conflicts: 0, enqueued: 0, other: [] as string[] };
  const pollers = Array.from({ length: POLLERS }, async (_, i) => {
    const run = poller();
    while (Date.now() < feedUntil + 300) {
      try {
        tally.enqueued += (await run()).enqueued;
        tally.cycles += 1;
      } catch (error) {
        if (error instanceof StateConflictError) tally.conflicts += 1;
        else tally.other.push(error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, between(random, 0, 30) + i));
    }
  });
  // The forwarders start with the pollers and keep going until the queue has been empty a while.
  const forwarders = drainWith(wiring, FORWARDERS, { idleMs: 3_000, maxMs: 60_000 });
  await Promise.all([feeder, ...pollers]);
  // One last poll, alone, picks up what the last concurrent cycles left (a lost conflict leaves a scan half done).
  const last = poller();
  for (let r = await last(); r.scanInProgress; r = await last());
  const concurrent = await forwarders;
  const rest = await drainWith(wiring, FORWARDERS, { idleMs: 2_500 });

  const leadIds = gateway.leads.map((l) => l.id);
  const result = audit({ crm, erp, bot }, leadIds);
  const records = [...concurrent, ...rest];
  const busy = records.flatMap((r) => r.endpoints).filter((e) => e.state === 'busy').length;
  const alreadyDelivered = records.flatMap((r) => r.endpoints).filter((e) => e.state === 'already-delivered').length;
  const state = await new DynamoStateStore(dynamo.client, table, sourceKey(gateway.appKey)).load();
  recordFigures('concurrency', {
    pollers: POLLERS,
    forwarders: FORWARDERS,
    pollCycles: tally.cycles,
    stateConflicts: tally.conflicts,
    leads: leadIds.length,
    enqueued: tally.enqueued,
    queueMessages: new Set(records.map((r) => r.messageId)).size,
    deliveries: result.deliveries,
    attempts: result.attempts,
    claimsFoundBusy: busy,
    skippedAlreadyDelivered: alreadyDelivered,
    losses: result.losses.length,
    duplicates: result.duplicates.length,
  });
  expect(tally.other).toEqual([]);
  expect(state.cursor).toBe(gateway.leads[0]!.id);
  expect(result.losses).toEqual([]);
  expect(result.duplicates).toEqual([]);
  expect(await deadLetters(sqs, queues.dlqUrl)).toEqual([]);
  // The pollers really overlapped.
  expect(tally.conflicts).toBeGreaterThan(0);
}, 120_000);
