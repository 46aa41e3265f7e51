import type { Dispatcher } from 'undici';
import { Problems } from '../../../../../functions/shared/config/readers';
import { feishuBitable } from '../../../../../functions/shared/webhook/connectors/feishu-bitable';
import { sendToConnector, type ConnectorAttempt } from '../../../../../functions/shared/webhook/connectors/send';
import type { ConnectorInstance } from '../../../../../functions/shared/webhook/connectors/types';
import { WriteLanes } from '../../../../../functions/shared/webhook/connectors/write-lanes';
import { TokenCache } from '../../../../../functions/shared/webhook/auth/token-cache';
import { createDispatcher } from '../../../../../functions/shared/webhook/sender';
import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  startSimulatedBitable,
  type SimulatedBitable,
} from '../../../../../functions/local/simulators/feishu-bitable';

/**
 * A batch of leads for one Bitable table, sent at once as the forwarder does (ten records in
 * flight), against the simulated Feishu that refuses a write while another to the same table is
 * in progress (1254291), as the real one does.
 */

let dispatcher: Dispatcher;
let sim: SimulatedBitable;

beforeAll(() => {
  dispatcher = createDispatcher();
});
afterAll(async () => {
  await dispatcher.destroy();
});
afterEach(async () => {
  await sim.close();
});

function bitableConnector(): ConnectorInstance {
  const problems = new Problems();
  const instance = feishuBitable.parse(
    {
      baseUrl: sim.url,
      appId: sim.appId,
      appSecret: sim.appSecret,
      appToken: SIMULATED_BITABLE_APP_TOKEN,
      tableId: SIMULATED_BITABLE_TABLE_ID,
    },
    'webhooks[0]',
    problems,
  );
  if (instance === undefined) throw new Error(`setup: ${problems.list.join('; ')}`);
  return instance;
}

async function sendTen(connector: ConnectorInstance, lanes: WriteLanes): Promise<ConnectorAttempt[]> {
  const tokens = new TokenCache();
  return Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      sendToConnector(
        dispatcher,
        { name: 'bitable', timeoutMs: 5_000, connector },
        { fields: { 线索ID: String(900 + i) }, leadId: String(900 + i), webhookId: `lead_${900 + i}`, endpointName: 'bitable' },
        tokens,
        lanes,
      ),
    ),
  );
}

const outcomes = (attempts: ConnectorAttempt[]): string[] =>
  attempts.map((a) => (a.kind === 'answered' ? a.verdict.outcome : a.kind));

it('ten leads for one table at once: written one at a time, every one created on its first attempt, no 1254291', async () => {
  sim = await startSimulatedBitable({ rejectConcurrentWrites: true, latencyMs: 20 });
  const lanes = new WriteLanes();
  const attempts = await sendTen(bitableConnector(), lanes);
  expect(outcomes(attempts)).toEqual(Array(10).fill('delivered'));
  expect(
    sim
      .records()
      .map((r) => r.fields['线索ID'])
      .sort(),
  ).toEqual(Array.from({ length: 10 }, (_, i) => String(900 + i)));
  expect(lanes.busy).toBe(0);
});

it('the same batch without a write lane: Feishu refuses the overlapping writes (what the lane prevents)', async () => {
  sim = await startSimulatedBitable({ rejectConcurrentWrites: true, latencyMs: 20 });
  const { writeLane: _lane, ...unlaned } = bitableConnector();
  const attempts = await sendTen(unlaned, new WriteLanes());
  const refused = attempts.filter((a) => a.kind === 'answered' && a.verdict.outcome === 'retry' && a.body.includes('1254291'));
  expect(refused.length).toBeGreaterThan(0);
  expect(sim.records().length).toBe(10 - refused.length);
});
