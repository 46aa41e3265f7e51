// Opens a stopped runner's state directory, runs one real poll (leads onto the embedded queue,
// cursor forward on disk), then dies by SIGKILL before the queues can be saved: the worst
// moment for a local runner to be killed. Args: stateDir appKey appSecret sessionKey gatewayUrl.
import { DynamoStateStore, sourceKey } from '../../../../functions/shared/aws/scan-state';
import { SqsLeadQueue } from '../../../../functions/shared/aws/lead-queue';
import { poll } from '../../../../functions/poller/poll';
import { openLocalStores } from '../../../../functions/local/state/local-stores';
import { STACK_MAX_RECEIVE_COUNT, STACK_VISIBILITY_TIMEOUT_SECONDS } from '../../../../functions/local/runner/resources';
import { stateDir } from '../../../../functions/local/state/state-dir';
import { TopClient } from '../../../../functions/shared/taobao/client';
import { TopLeadSource } from '../../../../functions/shared/taobao/lead-source';

async function main(): Promise<void> {
  const [dir, appKey, appSecret, sessionKey, gatewayUrl] = process.argv.slice(2) as [string, string, string, string, string];
  const stores = await openLocalStores(stateDir(dir), {
    purpose: 'command',
    maxReceiveCount: STACK_MAX_RECEIVE_COUNT,
    visibilityTimeoutSeconds: STACK_VISIBILITY_TIMEOUT_SECONDS,
  });
  const client = new TopClient({ appKey, appSecret, sessionKey, gatewayUrl });
  const result = await poll(
    {
      source: new TopLeadSource(client),
      state: new DynamoStateStore(stores.ddb, stores.table, sourceKey(appKey)),
      queue: new SqsLeadQueue(stores.sqs, stores.queues.leads.url),
    },
    { pageSize: 10, startFrom: { kind: 'all' }, deadline: Date.now() + 30_000 },
  );
  process.stdout.write(`${JSON.stringify({ enqueued: result.enqueued, cursor: result.cursor })}\n`);
  process.kill(process.pid, 'SIGKILL');
}

void main();
