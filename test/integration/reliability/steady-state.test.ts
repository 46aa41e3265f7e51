import type { SQSClient } from '@aws-sdk/client-sqs';
import { LOOKBACK_IDS, poll } from '../../../functions/poller/poll';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { DynamoStateStore, sourceKey } from '../../../functions/shared/aws/scan-state';
import { TopClient } from '../../../functions/shared/taobao/client';
import { TopLeadSource } from '../../../functions/shared/taobao/lead-source';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { createQueues, sqsClient, startDynalite, type LocalDynamo } from '../../support/local-aws';
import { takeLeadIds } from '../../support/queue-contents';
import { recordFigures } from '../../support/reliability-figures';
import { createStateTable } from '../../support/tables';

/**
 * After the crash and concurrency runs, the quiet case: a poller that has caught up must not
 * put anything on the queue again, cycle after cycle. (Re-sent leads cost no delivery thanks to
 * the ledger, but a queue that never drains hides real backlog and pays for every re-read.)
 * Page sizes 1–100 are valid settings (DESIGN §4); the lookback window is LOOKBACK_IDS ids.
 */

let dynamo: LocalDynamo;
let sqs: SQSClient;
let gateway: SimulatedGateway | undefined;
const resent: Record<string, number> = {};

beforeAll(async () => {
  dynamo = await startDynalite();
  sqs = sqsClient();
});
afterAll(async () => {
  recordFigures('steady-state', { lookbackIds: LOOKBACK_IDS, reEnqueuedInThreeIdleCyclesByPageSize: resent });
  await dynamo.close();
  sqs.destroy();
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

it.each([5, 10, 20, 100])('page size %d: once a multi-page scan has caught up, idle cycles enqueue nothing', async (pageSize) => {
  gateway = await startSimulatedGateway({ leads: generateLeads(5, { startId: '1000' }) });
  const client = new TopClient({
    appKey: gateway.appKey,
    appSecret: gateway.appSecret,
    sessionKey: gateway.sessionKey,
    gatewayUrl: gateway.url,
  });
  const table = await createStateTable(dynamo.client);
  const { queueUrl } = await createQueues(sqs);
  const deps = {
    source: new TopLeadSource(client),
    state: new DynamoStateStore(dynamo.client, table, sourceKey(gateway.appKey)),
    queue: new SqsLeadQueue(sqs, queueUrl),
  };
  const cycle = (): ReturnType<typeof poll> =>
    poll(deps, { pageSize, startFrom: { kind: 'all' }, deadline: Date.now() + 30_000 });

  expect((await cycle()).enqueued).toBe(5);
  // A burst bigger than three pages (and than the lookback window) arrives: one multi-page scan.
  const burst = Math.max(3 * pageSize, 2 * LOOKBACK_IDS) + 5;
  gateway.addLeads(generateLeads(burst, { startId: '2000', seed: 2 }));
  expect((await cycle()).enqueued).toBe(burst);
  expect(new Set(await takeLeadIds(sqs, queueUrl)).size).toBe(5 + burst);

  // Nothing new arrives: three idle cycles.
  const again: string[] = [];
  for (let i = 0; i < 3; i += 1) again.push(...(await cycle()).enqueuedIds);
  resent[String(pageSize)] = again.length;
  expect(again).toEqual([]);
});
