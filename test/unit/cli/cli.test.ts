import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../functions/cli/cli';
import { describeChange } from '../../../functions/cli/commands/reset-cursor';
import type { Io } from '../../../functions/cli/io';
import { localAdvice } from '../../../functions/local/report/advice';
import { handlerWiring, LOCAL_SECRET_ARNS } from '../../../functions/local/runner/handler-env';
import { ENV } from '../../../functions/shared/config/lambda-env';
import { OBSERVABILITY_ENV } from '../../../functions/shared/observability/observability';
import { parseSettings } from '../../../functions/shared/config/parse-settings';
import { classifyTopFailure } from '../../../functions/shared/taobao/errors';

function io(interactive = false): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    interactive,
    ask: () => Promise.resolve('n'),
  };
}

describe('runCli', () => {
  it('prints usage and exits 2 without a command or with an unknown one', async () => {
    for (const argv of [[], ['frobnicate']]) {
      const terminal = io();
      expect(await runCli(argv, terminal)).toBe(2);
      expect(terminal.stderr.join('\n')).toContain('Usage: lead-forwarder <command>');
    }
  });

  it('prints help with exit 0', async () => {
    const terminal = io();
    expect(await runCli(['help', 'replay'], terminal)).toBe(0);
    expect(terminal.stdout.join('\n')).toContain('Usage: lead-forwarder replay');
  });

  it('says so when help is asked for a command that does not exist, with exit 2', async () => {
    const terminal = io();
    expect(await runCli(['help', 'nope'], terminal)).toBe(2);
    expect(terminal.stderr.join('\n')).toContain('lead-forwarder: unknown command "nope"');
    expect(terminal.stdout).toEqual([]);
  });

  it('refuses a flag given twice, naming it, rather than quietly taking the last', async () => {
    const terminal = io();
    expect(await runCli(['reset-cursor', '--to=1003', '--to', 'latest', '--yes'], terminal)).toBe(2);
    expect(terminal.stderr.join('\n')).toContain('lead-forwarder reset-cursor: --to is given more than once');
  });

  it.each([
    [['status', '--stack']],
    [['status', 'extra']],
    [['status', '--region', 'eu-west-1']],
    [['status', '--stack', 's', '--state-dir', 'd']],
    [['status', '--stack', 's', '--config', 'c.json']],
    [['dev', '--stack', 's']],
    [['dev', '--state-dir', '']],
    [['dev', '--state-dir=']],
    [['status', '--state-dir', '']],
    [['reset-cursor']],
    [['reset-cursor', '--to', 'yesterday']],
    [['reset-cursor', '--to', '123']],
  ])('rejects %j with usage and exit 2, doing nothing', async (argv) => {
    const terminal = io();
    expect(await runCli(argv, terminal)).toBe(2);
    expect(terminal.stdout).toEqual([]);
    expect(terminal.stderr.join('\n')).toMatch(/Run `lead-forwarder [a-z-]+ --help` for details/);
  });

  it('names the fix when there is no local state', async () => {
    const terminal = io();
    expect(await runCli(['status', '--state-dir', '/nonexistent/lead-forwarder-state'], terminal)).toBe(1);
    expect(terminal.stderr.join('\n')).toContain('run `lead-forwarder dev` there first');
  });

  it('refuses a directory that exists but holds no state, and creates nothing in it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'not-state-'));
    try {
      const terminal = io();
      expect(await runCli(['status', '--state-dir', dir], terminal)).toBe(1);
      expect(terminal.stderr.join('\n')).toContain(`no local state in ${dir}`);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dev and the directory it is given', () => {
  let parent: string;
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'dev-dir-'));
  });
  afterEach(() => rm(parent, { recursive: true, force: true }));

  it('names the flag when --state-dir is empty, rather than adopting the working directory', async () => {
    const terminal = io();
    expect(await runCli(['dev', '--state-dir', ''], terminal)).toBe(2);
    expect(terminal.stderr.join('\n')).toContain('--state-dir needs a directory');
  });

  it('refuses a directory that holds something else, and leaves it as it was', async () => {
    const dir = join(parent, 'project');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await chmod(dir, 0o755);
    const terminal = io();
    expect(await runCli(['dev', '--state-dir', dir], terminal)).toBe(2);
    const stderr = terminal.stderr.join('\n');
    expect(stderr).toContain(`${dir} is not empty (notes.txt) and holds no lead-forwarder state`);
    expect(stderr).toContain('pass --state-dir with a directory of its own');
    expect(await readdir(dir)).toEqual(['notes.txt']);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  it('says a regular file is not a directory instead of a bare EEXIST, and leaves it as it was', async () => {
    const file = join(parent, 'state');
    await writeFile(file, 'mine');
    const terminal = io();
    expect(await runCli(['dev', '--state-dir', file], terminal)).toBe(2);
    const stderr = terminal.stderr.join('\n');
    expect(stderr).toContain(`${file} is a file, not a directory: pass --state-dir with a directory of its own`);
    expect(stderr).not.toContain('EEXIST');
    expect(await readFile(file, 'utf8')).toBe('mine');

    const below = join(file, 'sub');
    const nested = io();
    expect(await runCli(['dev', '--state-dir', below], nested)).toBe(2);
    expect(nested.stderr.join('\n')).toContain(`a part of ${below} is a file, not a directory`);
  });
});

describe('describeChange', () => {
  it('says what moving the cursor back or forward means', () => {
    expect(describeChange({ version: 3, cursor: '200', seen: [] }, '150')).toEqual([
      'cursor: 200 -> 150',
      'the next poll enqueues every lead above 150; webhooks that already accepted one are not sent it again',
    ]);
    expect(describeChange({ version: 3, cursor: '200', seen: [], scan: { top: '260', floor: '200', seen: [] } }, '300')).toEqual([
      'cursor: 200 -> 300',
      'the scan in progress (newest 260) is dropped; the next poll starts a new one',
      'leads 200 < id <= 300 that were not enqueued yet will never be forwarded',
    ]);
    expect(describeChange({ version: 0, seen: [] }, '300')).toEqual([
      'cursor: (none) -> 300',
      'there was no cursor yet (the first poll would start from startFrom): from now on only leads above 300 are forwarded, never those at or below it',
    ]);
  });
});

it('translates stack parameter names in error advice to config-file keys', () => {
  const error = new Error(
    'TOP error 27 (session expired): the merchant must re-authorize the app and you must update TopSessionKey',
  );
  expect(localAdvice(error)).toBe(
    'TOP error 27 (session expired): the merchant must re-authorize the app and you must update top.sessionKey',
  );
});

it('names the config-file key where TOP advice names the PageSize stack parameter', () => {
  expect(localAdvice(new Error('TOP error 41 (invalid arguments): check PageSize (1-100); otherwise report it'))).toBe(
    'TOP error 41 (invalid arguments): check top.pageSize (1-100); otherwise report it',
  );
  expect(localAdvice(new Error(classifyTopFailure({ kind: 'api-error', code: 41 }).summary))).toContain(
    'check top.pageSize (1-100)',
  );
});

it('gives the handlers the stack environment contract, with secrets only behind ARNs', () => {
  const settings = parseSettings({
    top: { appKey: 'k', appSecret: 'S3CRET-value', sessionKey: 'S3SSION-value', gatewayUrl: 'http://127.0.0.1:1/router/rest' },
    webhooks: [{ name: 'crm', url: 'https://crm.example.com/hook' }],
  });
  const queues = {
    leads: { name: 'l', url: 'http://q/l', arn: 'arn:l' },
    deadLetters: { name: 'd', url: 'http://q/d', arn: 'arn:d' },
  };
  const { env, secrets } = handlerWiring({
    settings,
    webhooks: [{ name: 'crm', url: 'https://crm.example.com/hook' }],
    endpoints: { dynamo: 'http://d', sqs: 'http://s', secretsManager: 'http://sm' },
    table: 't',
    queues,
    maxReceiveCount: 5,
  });
  expect(env).toMatchObject({
    [ENV.stateTable]: 't',
    [ENV.leadsQueueUrl]: 'http://q/l',
    [ENV.dlqUrl]: 'http://q/d',
    [ENV.maxReceiveCount]: '5',
    [ENV.startFrom]: 'latest',
    AWS_ENDPOINT_URL_SQS: 'http://s',
    [OBSERVABILITY_ENV.metricsDisabled]: 'true',
  });
  expect(Object.values(env).join(' ')).not.toMatch(/S3CRET|S3SSION/);
  expect(env[ENV.mobilePrivateKeySecretArn]).toBeUndefined();
  expect(secrets[LOCAL_SECRET_ARNS.topAppSecret]).toBe('S3CRET-value');
  expect(JSON.parse(secrets[LOCAL_SECRET_ARNS.webhooks]!)).toEqual([{ name: 'crm', url: 'https://crm.example.com/hook' }]);
});
