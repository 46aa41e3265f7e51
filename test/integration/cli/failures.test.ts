import { join } from 'node:path';
import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { runCli, summaryOf, tempDir, writeJson } from './cli-process';
import { startFixture, SECRET, type Fixture } from './pipeline-fixture';

// What an operator sees when things go wrong: a TOP error as one line naming the code and the
// fix, an endpoint that answered 410 marked gone in `status`, an unsigned endpoint warned about.

let dir: { path: string; remove(): Promise<void> };
let fixture: Fixture;
beforeAll(async () => {
  dir = await tempDir('failures');
  fixture = await startFixture(dir.path, generateLeads(2, { startId: '660000', seed: 'failures' }), {
    crm: () => ({ status: 200 }),
    retired: () => ({ status: 410, body: 'this hook was deleted' }),
  });
});
afterAll(async () => {
  await fixture.close();
  await dir.remove();
});

function config(name: string, webhooks: unknown[]): Promise<string> {
  const { gateway } = fixture;
  return writeJson(join(dir.path, `${name}.json`), {
    top: { appKey: gateway.appKey, appSecret: gateway.appSecret, sessionKey: gateway.sessionKey, gatewayUrl: gateway.url },
    startFrom: 'all',
    webhooks,
  });
}

it('marks an endpoint that answered 410 as gone, and status says how to bring it back', async () => {
  const file = await config('gone', [
    { name: 'crm', url: fixture.receivers.crm!.url, secret: SECRET },
    { name: 'retired', url: fixture.receivers.retired!.url, secret: SECRET },
  ]);
  const state = join(dir.path, 'gone-state');
  const result = await runCli(['dev', '--once', '--config', file, '--state-dir', state]);
  expect(result.code).toBe(1);
  expect(summaryOf(result)).toMatchObject({ enqueued: 2, delivered: 2, failed: 2, parked: 2 });
  // The runner's own output says why, as it does for a refusal ("HTTP 422 from crm").
  for (const id of ['660000', '660001']) {
    expect(result.stdout.split('\n')).toContain(
      `lead ${id}: parked in the dead-letter queue, not delivered to retired (it answered HTTP 410 Gone: marked GONE, no more deliveries to it until its url changes; \`lead-forwarder status\` shows it); give it its new url (or remove it from the config), then run \`lead-forwarder replay\``,
    );
  }
  expect(result.stdout).toContain('forwarded 2 leads: crm 2 delivered; retired 0 delivered, 2 dead');
  const status = await runCli(['status', '--state-dir', state, '--config', file]);
  expect(status.stdout).toMatch(/retired +no delivery yet {2}GONE since .* \(answered 410\): change its url to resume/);
  expect(status.stdout).toContain('dead letters  2');
});

it('reports a TOP error as one stderr line with its code and fix, adds it to the summary and exits 1', async () => {
  const file = await config('expired', [
    { name: 'crm', url: fixture.receivers.crm!.url, secret: SECRET },
    { name: 'open', url: fixture.receivers.crm!.url },
  ]);
  fixture.gateway.setSessionExpired(true);
  try {
    const result = await runCli(['dev', '--once', '--config', file, '--state-dir', join(dir.path, 'expired-state')]);
    expect(result.code).toBe(1);
    const summary = summaryOf(result);
    expect(summary).toMatchObject({ enqueued: 0, delivered: 0, failed: 0, cursor: null });
    expect(summary.error).toMatch(/TOP error 27 \(session expired\)/);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^poll failed: .*TOP error 27 \(session expired\): the merchant must re-authorize the app and you must update top\.sessionKey/,
      ),
    );
    expect(lines).toContainEqual(expect.stringContaining('webhook "open" has no secret'));
  } finally {
    fixture.gateway.setSessionExpired(false);
  }
});
