import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfigFile, unsignedWarnings } from '../../../../functions/local/runner/config-file';
import { parseForwarderSettings, parseJsonSetting, parseSettings } from '../../../../functions/shared/config/parse-settings';
import { jsonSyntaxErrorOffset } from '../../../../functions/shared/config/json-syntax';
import { duplicateKeyProblems } from '../../../../functions/shared/config/json-duplicate-keys';
import { ConfigError } from '../../../../functions/shared/domain/errors';

const good = {
  top: { appKey: '12345678', appSecret: 'app-secret-value', sessionKey: 'session-value' },
  webhooks: [{ name: 'crm', url: 'https://crm.example.com/hooks/leads', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
};

function problemsOf(input: unknown): string[] {
  try {
    parseSettings(input);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSettings', () => {
  it('fills in the documented defaults', () => {
    expect(parseSettings(good)).toEqual({
      top: {
        appKey: '12345678',
        appSecret: 'app-secret-value',
        sessionKey: 'session-value',
        gatewayUrl: 'https://eco.taobao.com/router/rest',
        signMethod: 'hmac-sha256',
        pageSize: 100,
      },
      startFrom: { kind: 'latest' },
      pollIntervalSeconds: 60,
      webhooks: [
        {
          name: 'crm',
          url: 'https://crm.example.com/hooks/leads',
          secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
          headers: {},
          format: 'standard',
          timeoutMs: 10_000,
        },
      ],
    });
  });

  it('accepts every documented option', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const settings = parseSettings({
      ...good,
      top: { ...good.top, gatewayUrl: 'https://gw.api.taobao.com/router/rest', signMethod: 'md5', pageSize: 20 },
      pollIntervalSeconds: 30,
      startFrom: '9007199254740993123',
      mobilePrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      webhooks: [
        {
          name: 'crm',
          url: 'https://crm.example.com/a',
          secret: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'],
          headers: { Authorization: 'Bearer x' },
          timeoutMs: 5000,
        },
        {
          name: 'sales-group',
          url: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
          format: 'dingtalk',
          secret: 'SEC123',
        },
        { name: 'local', url: 'http://127.0.0.1:9999/hook' },
      ],
    });
    expect(settings.startFrom).toEqual({ kind: 'id', id: '9007199254740993123' });
    expect(settings.webhooks.map((w) => [w.name, w.format, w.secrets.length])).toEqual([
      ['crm', 'standard', 2],
      ['sales-group', 'dingtalk', 1],
      ['local', 'standard', 0],
    ]);
    expect(settings.webhooks[0]!.headers).toEqual({ authorization: 'Bearer x' });
  });

  it('lists every problem at once, before anything runs', () => {
    const problems = problemsOf({
      top: { appSecret: 's', sessionKey: 'k', pageSize: 101, signMethod: 'sha1' },
      startFrom: 'yesterday',
      pollIntervalSeconds: 0,
      mobilePrivateKey: 'not a pem',
      extra: true,
      webhooks: [
        { name: 'crm', url: 'http://crm.example.com/hook', secret: 'whsec_***' },
        { name: 'crm', url: 'https://ok.example.com', format: 'slack', headers: { 'webhook-id': 'x' } },
        { url: 'not a url' },
      ],
    });
    const expected = [
      /unknown setting "extra"/,
      /top\.appKey is required/,
      /top\.signMethod must be one of/,
      /top\.pageSize must be a whole number from 1 to 100/,
      /startFrom must be "latest", "all" or a lead id/,
      /pollIntervalSeconds must be a whole number/,
      /mobilePrivateKey/,
      /crm"\.url must use https/,
      /crm"\.secret/,
      /format must be one of/,
      /webhook-id.*cannot be overridden/,
      /"crm" is used twice/,
      /webhooks\[2\]\.name is required/,
      /url is not a URL/,
    ];
    for (const pattern of expected) expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });

  it.each([
    ['page size 0', { ...good, top: { ...good.top, pageSize: 0 } }, /pageSize/],
    ['page size 101', { ...good, top: { ...good.top, pageSize: 101 } }, /pageSize/],
    ['a missing app key', { ...good, top: { ...good.top, appKey: '' } }, /appKey/],
    ['a malformed startFrom', { ...good, startFrom: '12ab' }, /startFrom/],
    ['no webhooks', { ...good, webhooks: [] }, /webhooks must be a non-empty list/],
    ['not an object', 'hello', /JSON object/],
  ])('rejects %s', (_name, input, pattern) => {
    expect(problemsOf(input)).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });

  it('never echoes a secret or a webhook URL in its problems', () => {
    const problems = problemsOf({
      top: { appKey: 'k', appSecret: 'TOPSECRET', sessionKey: 'SESSIONSECRET', pageSize: 0 },
      webhooks: [{ name: 'w', url: 'http://example.com/?key=URLKEY', secret: 'whsec_BADSECRET' }],
    });
    const text = problems.join('\n');
    for (const secret of ['TOPSECRET', 'SESSIONSECRET', 'URLKEY', 'BADSECRET']) expect(text).not.toContain(secret);
  });

  it('refuses two webhooks whose names differ only by surrounding spaces: they would share one ledger key', () => {
    const problems = problemsOf({
      ...good,
      webhooks: [
        { name: 'crm', url: 'https://a.example.com/h' },
        { name: ' crm ', url: 'https://b.example.com/h' },
      ],
    });
    expect(problems).toEqual(['webhooks[1].name "crm" is used twice: names key the delivery ledger']);
  });

  it('refuses a url with a user name or password, which would not be sent, without echoing them', () => {
    const problems = problemsOf({ ...good, webhooks: [{ name: 'crm', url: 'https://user:PASSWORDLEAK@crm.example.com/hook' }] });
    expect(problems).toEqual([
      'webhooks "crm".url carries a user name or password, which are not sent: put them in headers instead, e.g. {"Authorization": "Basic …"}',
    ]);
  });

  it('says a small or negative bare startFrom is not an id, without blaming lost digits', () => {
    expect(problemsOf({ ...good, startFrom: -1 })).toEqual(['startFrom must be "latest", "all" or a lead id (digits), not -1']);
    expect(problemsOf({ ...good, startFrom: 1.5 })).toEqual(['startFrom must be "latest", "all" or a lead id (digits), not 1.5']);
  });

  it('says what is wrong with numbers JSON cannot hold exactly, instead of echoing a changed value', () => {
    expect(
      problemsOf(
        JSON.parse(
          '{"top":{"appKey":"k","appSecret":"s","sessionKey":"t"},"pollIntervalSeconds":1e400,"startFrom":12345678901234567890,"webhooks":[{"name":"w","url":"https://example.com/h"}]}',
        ),
      ),
    ).toEqual([
      'startFrom must be "latest", "all" or a lead id in double quotes: as a bare number a long id loses its last digits',
      'pollIntervalSeconds must be a whole number from 1 to 86400, not a number too large to read',
    ]);
  });

  it('says a number where text belongs is a number, not that the setting is missing, without echoing it', () => {
    const problems = problemsOf({
      top: { appKey: 12345678, appSecret: 987654321, sessionKey: 's' },
      webhooks: [{ name: 'w', url: 'https://example.com/hook' }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'top.appKey must be text in double quotes, not a number',
        'top.appSecret must be text in double quotes, not a number',
      ]),
    );
    expect(problems.join('\n')).not.toContain('987654321');
  });
});

describe('custom headers', () => {
  const withHeaders = (headers: Record<string, unknown>): unknown => ({ ...good, webhooks: [{ ...good.webhooks[0], headers }] });

  it.each([
    ['Chinese text', '测试店铺'],
    ['a NUL', 'tokSECRET\u0000TAIL'],
    ['a line break', 'tokSECRET\r\nX-Injected: 1'],
    ['a DEL', 'tokSECRET\u007fTAIL'],
    ['an accented letter', 'tokSECRETé'],
    ['a vertical tab', 'tokSECRET\u000bTAIL'],
  ])('refuses a value with %s, naming the endpoint and header but not the value', (_label, value) => {
    const problems = problemsOf(withHeaders({ 'X-Shop': value }));
    expect(problems).toEqual([
      expect.stringMatching(
        /^webhooks "crm"\.headers\["X-Shop"\] must be a single-line string of visible ASCII characters, spaces and tabs/,
      ),
    ]);
    expect(problems.join('\n')).not.toContain(value);
    expect(problems.join('\n')).not.toContain('SECRET');
  });

  it('refuses a value that is not a string', () => {
    expect(problemsOf(withHeaders({ 'X-Count': 3 }))).toEqual([
      expect.stringMatching(/^webhooks "crm"\.headers\["X-Count"\] must be a single-line string/),
    ]);
  });

  it.each(['Transfer-Encoding', 'Keep-Alive', 'Upgrade', 'Expect', 'Connection'])(
    'refuses %s, which the HTTP client refuses or manages itself',
    (header) => {
      expect(problemsOf(withHeaders({ [header]: 'x' }))).toEqual([
        `webhooks "crm".headers: "${header}" controls the connection, which the forwarder's HTTP client manages (it refuses the request); remove it`,
      ]);
    },
  );

  it('names a header written with its value in the name without showing the value', () => {
    const problems = problemsOf(withHeaders({ 'Authorization: Bearer TOKENLEAK123': '' }));
    expect(problems).toEqual([
      'webhooks "crm".headers: "Authorization…" is not a valid header name (the value goes after the name, not in it: {"Authorization": "Bearer …"})',
    ]);
  });

  it('refuses one header given twice in different case, without either value', () => {
    const problems = problemsOf(withHeaders({ 'X-Token': 'FIRSTVALUE', 'x-token': 'SECONDVALUE' }));
    expect(problems).toEqual([
      'webhooks "crm".headers: "x-token" is given twice (header names ignore case); keep the one you mean',
    ]);
    expect(problems.join('\n')).not.toMatch(/FIRSTVALUE|SECONDVALUE/);
  });

  it('accepts every visible ASCII character, spaces and tabs', () => {
    const visible = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    const settings = parseSettings(withHeaders({ 'X-Visible': visible, 'X-Tabbed': 'a\tb c', 'X-Empty': '' }));
    expect(settings.webhooks[0]!.headers).toEqual({ 'x-visible': visible, 'x-tabbed': 'a\tb c', 'x-empty': '' });
  });
});

describe('chat robots and secrets', () => {
  const WECOM = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ROBOTKEY';

  it('refuses a secret on a WeCom robot, which cannot sign, without echoing it', () => {
    const problems = problemsOf({ ...good, webhooks: [{ name: 'sales', url: WECOM, format: 'wecom', secret: 'SECabc' }] });
    expect(problems).toEqual([
      'webhooks "sales".secret: WeCom group robots do not sign messages (the key in the url is their credential); remove the secret',
    ]);
    expect(problems.join('\n')).not.toContain('SECabc');
  });

  it('warns at start about each endpoint that could sign but has no secret, and not about WeCom robots', () => {
    const settings = parseSettings({
      ...good,
      webhooks: [
        { name: 'crm', url: 'https://crm.example.com/a', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
        { name: 'open', url: 'https://crm.example.com/b' },
        { name: 'wecom-group', url: WECOM, format: 'wecom' },
        { name: 'ding', url: 'https://oapi.dingtalk.com/robot/send?access_token=t', format: 'dingtalk' },
        { name: 'ding-signed', url: 'https://oapi.dingtalk.com/robot/send?access_token=u', format: 'dingtalk', secret: 'SEC1' },
      ],
    });
    expect(unsignedWarnings(settings)).toEqual([
      'warning: webhook "open" has no secret, so its deliveries go out without a webhook-signature; add "secret": "whsec_…" to sign them',
      'warning: webhook "ding" (dingtalk) has no secret, so its messages go out unsigned; if the robot\'s security setting is signing (加签), add its "secret"',
    ]);
  });
});

/** The ConfigError `run` throws, and the text printing it shows (message, stack and any cause chain). */
async function configErrorOf(run: () => unknown): Promise<{ error: ConfigError; text: string }> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${inspect(thrown)}`);
  return { error: thrown, text: inspect(thrown, { depth: 10 }) };
}

describe('a byte order mark', () => {
  const BOM = '\uFEFF';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'config-bom-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function fileWith(name: string, text: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, text, 'utf8');
    return file;
  }

  it('at the start of a config file (as Windows Notepad saves it) is dropped', async () => {
    const file = await fileWith('bom.json', `${BOM}${JSON.stringify(good, null, 2)}\r\n`);
    expect((await loadConfigFile(file)).settings).toEqual(parseSettings(good));
  });

  it('does not shift where a syntax error on the first line is reported, since editors do not show it', async () => {
    const file = await fileWith('bom-bad.json', `${BOM}{"top": TOPSECRETVALUE}`);
    const { text } = await configErrorOf(() => loadConfigFile(file));
    expect(text).toContain('syntax error at line 1, column 9');
    expect(text).not.toContain('TOPSECRETVALUE');
  });

  it('twice at the start of a file is refused by name: only the first marks the encoding', async () => {
    const file = await fileWith('two-boms.json', `${BOM}${BOM}${JSON.stringify(good)}`);
    const { error } = await configErrorOf(() => loadConfigFile(file));
    expect(error.problems).toEqual([
      `the config file ${file} is not valid JSON: it starts with a byte order mark (U+FEFF, invisible in most editors): remove it (an editor removes it when saving as UTF-8 without BOM)`,
    ]);
  });

  it('at the start of the Webhooks parameter is refused by name, not as a syntax error at column 1', async () => {
    const { error, text } = await configErrorOf(() => parseJsonSetting('Webhooks', `${BOM}${JSON.stringify(good.webhooks)}`));
    expect(error.problems).toEqual([
      expect.stringMatching(/^Webhooks is not valid JSON: it starts with a byte order mark \(U\+FEFF/),
    ]);
    expect(text).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });
});

describe('bad JSON text', () => {
  it.each([
    [
      'an unquoted secret',
      '[{"name":"crm","url":"https://crm.example.com/hook","secret":whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]',
      ['whsec_', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'line 1, column 62',
    ],
    [
      'an unquoted URL with a key',
      '[\n  {"name": "bot",\n   "url": https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY}\n]',
      ['SECRETKEY', 'qyapi'],
      'line 3, column 11',
    ],
    [
      'a missing comma after a secret',
      '[{"name":"crm" "secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]',
      ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'line 1, column 16',
    ],
  ])('locates %s by line and column without quoting the text', async (_label, text, secrets, location) => {
    const { error, text: message } = await configErrorOf(() => parseJsonSetting('Webhooks', text));
    expect(error.problems).toEqual([expect.stringMatching(/^Webhooks is not valid JSON: /)]);
    expect(message).toContain(location);
    for (const secret of secrets) expect(message).not.toContain(secret);
  });

  it('finds an error exactly where JSON.parse does, and none where it finds none', () => {
    const texts = [
      '{"a":1,}',
      '{"a":1 "b":2}',
      '{"a":01}',
      '{"a":-}',
      '{"a":1.}',
      '{"a":1e}',
      '{"a":tru}',
      '["\\x"]',
      '["\\u12G4"]',
      '["a\tb"]',
      '{"a" 1}',
      '{a:1}',
      '[1,,2]',
      '[1] x',
      '\uFEFF[]',
      '{"top": ',
      '',
    ];
    const valid = ['{"a":[1,-0.5e+3,"\\u00e9\\n",true,false,null,{}]}', ' \r\n[] ', '"x"', '0'];
    for (const text of valid) expect(jsonSyntaxErrorOffset(text)).toBeUndefined();
    for (const text of texts) {
      let nodeMessage = '';
      try {
        JSON.parse(text);
      } catch (error) {
        nodeMessage = (error as Error).message;
      }
      expect(nodeMessage).not.toBe('');
      const offset = jsonSyntaxErrorOffset(text);
      // Node says where in one of three ways; each text is checked against the one it gets.
      const nodeOffset = /at position (\d+)/.exec(nodeMessage)?.[1];
      const token = /^Unexpected token '(.+?)'/.exec(nodeMessage)?.[1];
      if (nodeOffset !== undefined) expect([text, offset]).toEqual([text, Number(nodeOffset)]);
      else if (nodeMessage.startsWith('Unexpected end')) expect([text, offset]).toEqual([text, text.length]);
      else if (token !== undefined) expect([text, offset === undefined ? undefined : text[offset]]).toEqual([text, token]);
      else throw new Error(`JSON.parse(${JSON.stringify(text)}) said neither where nor what: ${nodeMessage}`);
    }
  });

  it('refuses comments and trailing commas, which JSON has not, with the same hints as any syntax error', async () => {
    const cases: [string, string][] = [
      [
        '[{"name": "crm", "url": "https://crm.example.com/hook"},\n]',
        'syntax error at line 2, column 1: check the quotes and commas there',
      ],
      ['{"webhooks": [], }', 'syntax error at line 1, column 18: check the quotes and commas there'],
      ['[] // SECRETNOTE', 'syntax error at line 1, column 4: JSON has no comments; remove it'],
      ['[\n  /* SECRETNOTE */ 1]', 'syntax error at line 2, column 3: JSON has no comments; remove it'],
      ['[1 /* SECRETNOTE', 'syntax error at line 1, column 4: JSON has no comments; remove it'],
    ];
    for (const [text, problem] of cases) {
      const { error, text: printed } = await configErrorOf(() => parseJsonSetting('Webhooks', text));
      expect(error.problems).toEqual([expect.stringContaining(`Webhooks is not valid JSON: ${problem}`)]);
      expect(printed).not.toContain('SECRETNOTE');
    }
  });

  it('says where text ends early', async () => {
    const { error } = await configErrorOf(() =>
      parseJsonSetting('Webhooks', '[{"name": "crm",\n  "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'),
    );
    expect(error.problems[0]).toMatch(/ends early at line 2, column 52/);
    expect(error.message).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });

  it('keeps a config file secret out of the error, and says where to look', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-'));
    try {
      const file = join(dir, 'lead-forwarder.json');
      await writeFile(
        file,
        '{\n  "top": {"appKey": "k", "appSecret": TOPSECRETVALUE, "sessionKey": "SESSIONVALUE"},\n  "webhooks": []\n}\n',
      );
      const { error, text } = await configErrorOf(() => loadConfigFile(file));
      expect(error.problems).toEqual([expect.stringContaining(`the config file ${file} is not valid JSON`)]);
      expect(text).toContain('line 2, column 39');
      for (const secret of ['TOPSECRETVALUE', 'SESSIONVALUE']) expect(text).not.toContain(secret);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a key given twice in one object', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'config-twice-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The config file's problems and the whole printed error, for `text` written to a file. */
  async function fileProblems(text: string): Promise<{ file: string; problems: readonly string[]; printed: string }> {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, text);
    const { error, text: printed } = await configErrorOf(() => loadConfigFile(file));
    return { file, problems: error.problems, printed };
  }

  const top = '"top": {"appKey": "12345678", "appSecret": "APPSECRETVALUE", "sessionKey": "SESSIONVALUE"}';
  const webhooks = '"webhooks": [{"name": "crm", "url": "https://crm.example.com/hooks/leads"}]';

  it('refuses startFrom twice, which would silently skip the existing leads, naming both places and neither value', async () => {
    const { file, problems, printed } = await fileProblems(
      `{\n  ${top},\n  "startFrom": "all",\n  ${webhooks},\n  "startFrom": "latest"\n}\n`,
    );
    expect(problems).toEqual([
      `the config file ${file}: startFrom is given twice, at line 3, column 3 and line 5, column 3: only the last would count, so keep the one you mean`,
    ]);
    for (const value of ['"all"', 'latest', 'APPSECRETVALUE']) expect(printed).not.toContain(value);
  });

  it('refuses a second top object that would hide the first, and does not also report the keys inside them', async () => {
    const { problems, printed } = await fileProblems(
      `{${top},\n${webhooks},\n"top": {"appKey": "87654321", "appSecret": "OTHERSECRET", "sessionKey": "OTHERSESSION"}}`,
    );
    expect(problems).toEqual([expect.stringMatching(/: top is given twice, at line 1, column 2 and line 3, column 1: /)]);
    for (const value of ['APPSECRETVALUE', 'SESSIONVALUE', 'OTHERSECRET', 'OTHERSESSION', '87654321'])
      expect(printed).not.toContain(value);
  });

  it('names a key inside a webhook by its path, without the URLs, which often carry a key', async () => {
    const { problems, printed } = await fileProblems(
      `{${top},\n"webhooks": [\n  {"name": "crm", "url": "https://crm.example.com/?key=FIRSTKEY",\n   "url": "https://crm.example.com/?key=SECONDKEY"}\n]}`,
    );
    expect(problems).toEqual([
      expect.stringMatching(/: webhooks\[0\]\.url is given twice, at line 3, column 19 and line 4, column 4: /),
    ]);
    for (const value of ['FIRSTKEY', 'SECONDKEY', 'crm.example.com']) expect(printed).not.toContain(value);
  });

  it('cuts a key that holds more than a name where it shows it', async () => {
    const { problems } = await fileProblems(
      '{"top":{"appKey":"k","appSecret":"s","sessionKey":"t"},"webhooks":[{"name":"w","url":"https://example.com/h","headers":{"X-Key: TOKLEAK":"","X-Key: TOKLEAK":""}}]}',
    );
    expect(problems).toEqual([expect.stringContaining('webhooks[0].headers["X-Key…"] is given twice')]);
    expect(problems.join('\n')).not.toContain('TOKLEAK');
  });

  it('lists every key given twice at once, a header name quoted as the other problems quote it', async () => {
    const { problems } = await fileProblems(
      `{${top}, "pollIntervalSeconds": 30, "pollIntervalSeconds": 60,\n"webhooks": [{"name": "crm", "url": "https://crm.example.com/", "headers": {"X-Shop": "a", "X-Shop": "b"}}]}`,
    );
    expect(problems).toEqual([
      expect.stringContaining(': pollIntervalSeconds is given twice, at line 1, column'),
      expect.stringContaining(': webhooks[0].headers["X-Shop"] is given twice, at line 2, column'),
    ]);
  });

  it('treats an escaped spelling of a key as the same key, as JSON.parse does', () => {
    expect(duplicateKeyProblems('{"startFrom": "all", "start\\u0046rom": "latest"}')).toEqual([
      expect.stringMatching(/^startFrom is given twice, at line 1, column 2 and line 1, column 22:/),
    ]);
  });

  it('accepts the same key in different objects and at different depths', () => {
    const text = JSON.stringify({
      top: { name: 'x', top: { name: 'y' } },
      name: 'z',
      webhooks: [
        { name: 'a', url: 'u' },
        { name: 'b', url: 'v' },
      ],
    });
    expect(duplicateKeyProblems(text)).toEqual([]);
  });

  it('refuses a key given twice in the Webhooks parameter, naming its path and not the secret', async () => {
    const text =
      '[{"name": "crm", "url": "https://crm.example.com/hook",\n  "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"}]';
    const { error, text: printed } = await configErrorOf(() => parseJsonSetting('Webhooks', text));
    expect(error.problems).toEqual([
      'Webhooks: [0].secret is given twice, at line 2, column 3 and line 2, column 55: only the last would count, so keep the one you mean',
    ]);
    for (const value of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'C2FVsBQIhrscChlQIMV', 'whsec_'])
      expect(printed).not.toContain(value);
  });

  it('leaves text nested deeper than it can follow to the settings checks, which refuse it by name', async () => {
    const depth = 100_000;
    const text = `[{"name": "crm", "url": "https://crm.example.com/", "headers": {"X-Deep": ${'['.repeat(depth)}${']'.repeat(depth)}}}]`;
    const { error } = await configErrorOf(() => parseForwarderSettings({ webhooks: parseJsonSetting('Webhooks', text) }));
    expect(error.problems).toEqual([expect.stringMatching(/^webhooks "crm"\.headers\["X-Deep"\] must be a single-line string/)]);
  });
});
