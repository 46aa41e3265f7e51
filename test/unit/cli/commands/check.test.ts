import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../../functions/cli/cli';
import type { Io } from '../../../../functions/cli/io';

function io(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    interactive: false,
    ask: () => Promise.resolve('n'),
  };
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const CRM = { name: 'crm', url: 'https://crm.example.com/hook', secret: SECRET };
const DING = { name: 'ding', url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', format: 'dingtalk' };
const TOP = { appKey: '12345678', appSecret: 'app-secret-value', sessionKey: 'session-key-value' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lead-forwarder-check-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function check(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const terminal = io();
  const code = await runCli(['check', ...args], terminal);
  return { code, out: terminal.stdout.join('\n'), err: terminal.stderr.join('\n') };
}

describe('lead-forwarder check', () => {
  it('passes a valid Webhooks value, naming each webhook, and warns of one that goes out unsigned', async () => {
    const path = await file('ok.json', JSON.stringify([CRM, DING]));
    const result = await check('--webhooks', path);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(`Webhooks value in ${path}: ok, 2 webhooks (crm: standard, ding: dingtalk)`);
    expect(result.out).toContain('warning: webhook "ding" (dingtalk) has no secret');
    expect(result.out).not.toContain('warning: webhook "crm"');
  });

  it('says when a valid Webhooks value is too large for the stack parameter, and where it goes instead', async () => {
    // 40 endpoints with Chinese names in a template: over 4,096 bytes as UTF-8, not in characters.
    const many = Array.from({ length: 40 }, (_, i) => ({
      ...CRM,
      name: `team-${i}`,
      filter: `data.page_name = '华东大区第${i}组落地页'`,
    }));
    const text = JSON.stringify(many);
    expect(text.length).toBeLessThan(Buffer.byteLength(text));
    const big = await check('--webhooks', await file('big.json', text));
    expect(big.code).toBe(0);
    expect(big.out).toContain(`ok, 40 webhooks`);
    expect(big.out).toContain(
      `warning: this value is ${Buffer.byteLength(text)} bytes, more than the 4096 a CloudFormation parameter holds`,
    );
    expect(big.out).toContain('ExternalWebhooksSecretArn');
    expect(big.out).not.toContain(SECRET);
    // Right at the limit is still a parameter value.
    const padded = JSON.stringify([CRM]).replace('[', `[${' '.repeat(4_096 - JSON.stringify([CRM]).length)}`);
    expect(Buffer.byteLength(padded)).toBe(4_096);
    expect((await check('--webhooks', await file('edge.json', padded))).out).not.toContain('CloudFormation parameter');
  });

  it('lists every problem of a Webhooks value at once, exit 1, and never prints a secret', async () => {
    const path = await file(
      'bad.json',
      JSON.stringify([
        { name: 'crm', url: 'http://crm.example.com/hook', secret: 'whsec_c2hvcnQ=' },
        { name: 'crm', url: 'https://other.example.com/' },
        {
          name: 'bot',
          url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key',
          format: 'wecom',
          secret: 'robot-signing-secret',
        },
      ]),
    );
    const result = await check('--webhooks', path);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`Webhooks value in ${path}: 4 problems`);
    expect(result.out).toContain('webhooks "crm".url must use https');
    expect(result.out).toContain('"crm" is used twice');
    expect(result.out).toContain('WeCom group robots do not sign messages');
    expect(result.out).toContain('must decode to 24–64 bytes');
    for (const secret of ['whsec_c2hvcnQ=', 'robot-signing-secret', 'robot-key']) expect(result.out).not.toContain(secret);
  });

  it.each([
    ['not JSON', '[{"name": "crm",}]', 'Webhooks is not valid JSON'],
    ['not a list', JSON.stringify(CRM), 'webhooks must be a non-empty list of endpoints'],
    ['an empty list', '[]', 'webhooks must be a non-empty list of endpoints'],
  ])('refuses a Webhooks value that is %s, exit 1', async (_case, content, expected) => {
    const result = await check('--webhooks', await file('v.json', content));
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/: \d+ problems?\n {2}- /);
    expect(result.out).toContain(expected);
  });

  it('says when the file cannot be read', async () => {
    const missing = join(dir, 'missing.json');
    const result = await check('--webhooks', missing);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`cannot read ${missing} (ENOENT): check the --webhooks path`);
  });

  it('says a file far larger than any configuration is the wrong file, reading no more than 1 MB of it', async () => {
    const big = await file('big.json', ' '.repeat(2 * 1024 * 1024));
    for (const [flag, expected] of [
      ['--config', `the config file ${big} is larger than 1 MB, which no configuration is (a few KB): check the --config path`],
      ['--webhooks', `${big} is larger than 1 MB, which no Webhooks value is (a few KB): check the --webhooks path`],
    ] as const) {
      const result = await check(flag, big);
      expect(result.code).toBe(1);
      expect(result.out).toContain(expected);
    }
    const endless = await check('--webhooks', '/dev/zero');
    expect(endless.out).toContain('/dev/zero is larger than 1 MB');
  });

  it.each([
    [
      'UTF-16, as Windows "Unicode" saves it',
      Buffer.from(`\uFEFF${JSON.stringify([CRM])}`, 'utf16le'),
      'it is not UTF-8 text (UTF-16, as Windows "Unicode" saves it, or binary): save it as UTF-8',
    ],
    [
      'a comment',
      Buffer.from(`[\n  // our CRM\n  ${JSON.stringify(CRM)}\n]`),
      'syntax error at line 2, column 3: JSON has no comments; remove it',
    ],
  ])('names what is wrong with a file in %s', async (_case, content, expected) => {
    const path = join(dir, 'encoded.json');
    await writeFile(path, content);
    const result = await check('--webhooks', path);
    expect(result.code).toBe(1);
    expect(result.out).toContain(expected);
  });

  it('checks a config file for `dev` as dev would', async () => {
    const good = await file('config.json', JSON.stringify({ top: TOP, webhooks: [CRM] }));
    const ok = await check('--config', good);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`config file ${good}: ok, 1 webhook (crm: standard)`);

    const bad = await file(
      'config-bad.json',
      JSON.stringify({ top: { ...TOP, pageSize: 1000 }, webhooks: [CRM], startFrom: 'yesterday' }),
    );
    const refused = await check('--config', bad);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`config file ${bad}: 2 problems`);
    expect(refused.out).toContain('pageSize');
    expect(refused.out).toContain('startFrom');
    expect(refused.out).not.toContain(TOP.appSecret);
  });

  it.each([
    [[], 'say what to check: --config FILE, --webhooks FILE or --stack NAME'],
    [['--config', 'a.json', '--webhooks', 'b.json'], 'check one thing at a time (--config and --webhooks given)'],
    [['--webhooks', 'b.json', '--region', 'eu-west-1'], '--region goes with --stack'],
    [['--webhooks', ''], '--webhooks needs a value'],
    [['--state-dir', 'x'], "Unknown option '--state-dir'"],
  ])('usage error for %j, exit 2, nothing checked', async (args, message) => {
    const result = await check(...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.out).toBe('');
  });
});
