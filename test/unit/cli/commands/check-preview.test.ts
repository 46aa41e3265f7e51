import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../../functions/cli/cli';
import type { Io } from '../../../../functions/cli/io';

/** `check` shows what an endpoint with a filter, format http or auth would send for a sample lead. */

const SECRETS = { token: 'BEARER-TOKEN-1', clientSecret: 'CLIENT-SECRET-2', apiKey: 'API-KEY-3', urlKey: 'URL-KEY-4' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lead-forwarder-check-preview-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function check(webhooks: unknown[]): Promise<{ code: number; out: string }> {
  const path = join(dir, 'webhooks.json');
  await writeFile(path, JSON.stringify(webhooks));
  const stdout: string[] = [];
  const io: Io = {
    out: (line) => stdout.push(line),
    err: (line) => stdout.push(line),
    interactive: false,
    ask: () => Promise.resolve('n'),
  };
  const code = await runCli(['check', '--webhooks', path], io);
  return { code, out: stdout.join('\n') };
}

describe('check with templates and auth', () => {
  it('prints the request an http endpoint would send for a sample lead, credentials masked', async () => {
    const { code, out } = await check([
      {
        name: 'api',
        url: `https://api.example.com/v1/leads?key=${SECRETS.urlKey}`,
        format: 'http',
        method: 'PUT',
        contentType: 'form',
        headers: { 'X-Api-Key': SECRETS.apiKey },
        body: '{"external_id": data.id, "source": "alimama", "hook": $webhookId}',
        auth: { type: 'oauth2', tokenUrl: 'https://login.example.com/token', clientId: 'c', clientSecret: SECRETS.clientSecret },
      },
      { name: 'crm', url: 'https://crm.example.com/hook', auth: { type: 'bearer', token: SECRETS.token } },
    ]);
    expect(code).toBe(0);
    expect(out).toContain(
      'api (http) with a sample lead:\n    PUT https://api.example.com/v1/leads?…\n    x-api-key: ****\n    content-type: application/x-www-form-urlencoded;charset=utf-8',
    );
    expect(out).toContain('    authorization: Bearer ****');
    expect(out).toMatch(/\n {4}external_id=\d+&source=alimama&hook=test_\d+(\n|$)/);
    expect(out).toMatch(/crm \(standard\) with a sample lead:\n {4}POST https:\/\/crm\.example\.com\/hook\n/);
    for (const secret of Object.values(SECRETS)) expect(out).not.toContain(secret);
  });

  it('says when the sample lead is filtered out, and why an expression fails on it', async () => {
    const { code, out } = await check([
      { name: 'picky', url: 'https://a.example.com/h', filter: "data.page_id = 'no-such-page'" },
      { name: 'broken', url: 'https://b.example.com/h', format: 'http', body: '$error("no mapping for " & data.page_id)' },
    ]);
    expect(code).toBe(0);
    expect(out).toContain(
      'picky (standard) with a sample lead: filtered out (its filter does not yield true), nothing would be sent',
    );
    expect(out).toMatch(
      /broken \(http\) with a sample lead: webhooks "broken"\.body \$error\(\) was called at character \d+ \(error\) — JSONata: no mapping for \d+/,
    );
  });

  it('adds nothing for endpoints without expressions or auth', async () => {
    const { out } = await check([{ name: 'crm', url: 'https://crm.example.com/hook' }]);
    expect(out).not.toContain('sample lead');
  });
});
