import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, summaryOf, tempDir, writeJson } from './cli-process';
import { generateLeads } from '../../../functions/local/simulators/alimama-gateway';
import { sortIds, startFixture } from './pipeline-fixture';

// Bad input stops before anything starts: every problem in one message, exit 2, no state.

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('bad');
});
afterAll(() => dir.remove());

async function devWith(file: string): Promise<{ code: number | null; stderr: string; state: string }> {
  const state = join(dir.path, `state-${Math.random().toString(36).slice(2)}`);
  const result = await runCli(['dev', '--once', '--config', file, '--state-dir', state]);
  return { code: result.code, stderr: result.stderr, state };
}

it('lists every problem of a config file at once and starts nothing', async () => {
  const file = await writeJson(join(dir.path, 'bad.json'), {
    top: { appKey: 'k', appSecret: 's', sessionKey: 'x', colour: 'blue' },
    extra: true,
    webhooks: [
      { name: 'crm', url: 'http://crm.example.com/hook', secret: 'whsec_tooshort' },
      { name: 'bot', url: 'https://bot.example.com/hook', secret: 'not-a-whsec' },
    ],
    mobilePrivateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
  });
  const result = await devWith(file);
  expect(result.code).toBe(2);
  for (const problem of [
    'unknown setting "extra"',
    'unknown setting "top.colour"',
    'webhooks "crm".url must use https',
    'webhooks "crm".secret',
    'webhooks "bot".secret: must start with "whsec_"',
    'mobilePrivateKey:',
  ]) {
    expect(result.stderr).toContain(problem);
  }
  expect(result.stderr).toContain('nothing was started');
  expect(existsSync(result.state)).toBe(false);
});

it('refuses a file that is not JSON, one without webhooks, and one that does not exist', async () => {
  const notJson = join(dir.path, 'not.json');
  await writeFile(notJson, '{"top": ');
  const noWebhooks = await writeJson(join(dir.path, 'empty.json'), {
    top: { appKey: 'k', appSecret: 's', sessionKey: 'x' },
    webhooks: [],
  });
  const cases: [string, string][] = [
    [notJson, 'is not valid JSON'],
    [noWebhooks, 'webhooks must be a non-empty list'],
    [join(dir.path, 'missing.json'), 'cannot read the config file'],
  ];
  for (const [file, message] of cases) {
    const result = await devWith(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(result.state)).toBe(false);
  }
});

it('never prints a secret from a config file that is not JSON, and says where to look', async () => {
  const file = join(dir.path, 'unquoted.json');
  await writeFile(
    file,
    '{"top": {"appKey": "k", "appSecret": "s", "sessionKey": "x"},\n "webhooks": [{"name": "crm", "url": "https://crm.example.com/hook", "secret": whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]}\n',
  );
  const result = await devWith(file);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('is not valid JSON');
  expect(result.stderr).toContain('line 2, column 80');
  expect(result.stderr).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  expect(result.stderr).not.toContain('whsec_');
});

it('refuses header values HTTP cannot carry, naming the header but not its value, and sends nothing', async () => {
  // A dozen leads: before these were refused, undici rejected every request and, after ten of
  // them, `dev --once` hung instead of exiting.
  const fixture = await startFixture(dir.path, generateLeads(12, { startId: '7000' }), {
    crm: () => ({ status: 200 }),
    erp: () => ({ status: 200 }),
  });
  try {
    const file = await writeJson(join(dir.path, 'header-values.json'), {
      top: {
        appKey: fixture.gateway.appKey,
        appSecret: fixture.gateway.appSecret,
        sessionKey: fixture.gateway.sessionKey,
        gatewayUrl: fixture.gateway.url,
      },
      startFrom: 'all',
      webhooks: [
        { name: 'crm', url: fixture.receivers.crm!.url, headers: { 'X-Shop': '测试店铺' } },
        { name: 'erp', url: fixture.receivers.erp!.url, headers: { Authorization: 'Bearer tok\u0000SECRETTAIL' } },
      ],
    });
    const result = await devWith(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('webhooks "crm".headers["X-Shop"] must be');
    expect(result.stderr).toContain('webhooks "erp".headers["Authorization"] must be');
    expect(result.stderr).toContain('nothing was started');
    for (const value of ['测试店铺', 'SECRETTAIL', 'Bearer']) expect(result.stderr).not.toContain(value);
    expect(fixture.gateway.requests).toHaveLength(0);
    expect(fixture.receivers.crm!.requests).toHaveLength(0);
    expect(fixture.receivers.erp!.requests).toHaveLength(0);
    expect(existsSync(result.state)).toBe(false);
  } finally {
    await fixture.close();
  }
});

it('refuses a key given twice, naming each by path and place without its values, and polls nothing', async () => {
  const fixture = await startFixture(dir.path, generateLeads(3, { startId: '7100' }), { crm: () => ({ status: 200 }) });
  try {
    const { gateway } = fixture;
    const file = join(dir.path, 'twice.json');
    // "all" then "latest": before this was refused, the last won and the existing leads were skipped.
    await writeFile(
      file,
      `{
  "top": {"appKey": "${gateway.appKey}", "appSecret": "${gateway.appSecret}", "sessionKey": "${gateway.sessionKey}", "gatewayUrl": "${gateway.url}"},
  "startFrom": "all",
  "webhooks": [{"name": "crm", "url": "${fixture.receivers.crm!.url}?key=FIRSTKEY", "url": "${fixture.receivers.crm!.url}?key=SECONDKEY"}],
  "startFrom": "latest"
}
`,
    );
    const result = await devWith(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `the config file ${file}: startFrom is given twice, at line 3, column 3 and line 5, column 3`,
    );
    expect(result.stderr).toContain(
      `the config file ${file}: webhooks[0].url is given twice, at line 4, column 32 and line 4, column`,
    );
    expect(result.stderr).toContain('nothing was started');
    for (const value of ['latest', 'FIRSTKEY', 'SECONDKEY', gateway.appSecret, gateway.sessionKey])
      expect(result.stderr).not.toContain(value);
    expect(gateway.requests).toHaveLength(0);
    expect(fixture.receivers.crm!.requests).toHaveLength(0);
    expect(existsSync(result.state)).toBe(false);
  } finally {
    await fixture.close();
  }
});

it('answers an unknown command or flag with usage and exit 2', async () => {
  const command = await runCli(['frobnicate']);
  expect(command.code).toBe(2);
  expect(command.stderr).toContain('unknown command "frobnicate"');
  expect(command.stderr).toContain('Usage: lead-forwarder <command>');

  const flag = await runCli(['status', '--bogus']);
  expect(flag.code).toBe(2);
  expect(flag.stderr).toContain("Unknown option '--bogus'");
  expect(flag.stderr).toContain('Usage: lead-forwarder status');
});

it('prints help for every command', async () => {
  for (const command of ['dev', 'status', 'replay', 'reset-cursor', 'send-test-lead']) {
    const result = await runCli([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: lead-forwarder ${command}`);
  }
});

it('never mixes the demo and a real configuration in one state directory, either way round', async () => {
  const fixture = await startFixture(dir.path, generateLeads(2, { startId: '4000' }), { crm: () => ({ status: 200 }) });
  try {
    const config = await fixture.writeConfig('mixed');
    const demoState = join(dir.path, 'demo-state');
    expect((await runCli(['dev', '--once', '--state-dir', demoState])).code).toBe(0);
    const real = await runCli(['dev', '--once', '--config', config, '--state-dir', demoState]);
    expect(real.code).toBe(2);
    expect(real.stderr).toContain(`${demoState} holds the demo's state`);
    expect(fixture.receivers.crm!.requests).toHaveLength(0); // no demo lead reached the real webhook

    const realState = join(dir.path, 'real-state');
    expect((await runCli(['dev', '--once', '--config', config, '--state-dir', realState])).code).toBe(0);
    const demo = await runCli(['dev', '--once', '--state-dir', realState]);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain(`${realState} holds the state of ${config}`);
  } finally {
    await fixture.close();
  }
});

it('dev keeps its state in a directory of its own: an empty one is used, one holding other files is refused untouched', async () => {
  const leads = generateLeads(2, { startId: '6000', seed: 'own-dir' });
  const fixture = await startFixture(dir.path, leads, { crm: () => ({ status: 200 }) });
  try {
    const config = await fixture.writeConfig('own-dir');
    const project = join(dir.path, 'project');
    await mkdir(project);
    await chmod(project, 0o755); // whatever the umask
    await writeFile(join(project, 'package.json'), '{}');
    const refused = await runCli(['dev', '--once', '--config', config, '--state-dir', project]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${project} is not empty (package.json) and holds no lead-forwarder state`);
    expect(await readdir(project)).toEqual(['package.json']);
    expect((await stat(project)).mode & 0o777).toBe(0o755);
    expect(fixture.receivers.crm!.requests).toHaveLength(0);

    const empty = join(dir.path, 'empty');
    await mkdir(empty);
    const used = await runCli(['dev', '--once', '--config', config, '--state-dir', empty]);
    expect(used.code).toBe(0);
    expect(summaryOf(used)).toMatchObject({ delivered: 2, failed: 0 });
    expect((await stat(empty)).mode & 0o777).toBe(0o700);
    // Now it holds runner state: the next start takes it up again.
    const again = await runCli(['dev', '--once', '--config', config, '--state-dir', empty]);
    expect(again.code).toBe(0);
    expect(summaryOf(again)).toMatchObject({ enqueued: 0, failed: 0 });
    expect(sortIds(fixture.receivers.crm!.accepted)).toEqual(sortIds(leads.map((lead) => lead.id)));
  } finally {
    await fixture.close();
  }
});
