import { parseForwarderSettings } from '../../../../functions/shared/config/parse-settings';
import { ConfigError } from '../../../../functions/shared/domain/errors';

/** DESIGN §7 connector endpoints: their own settings, `fields`, and none of a webhook's url, secret, headers or auth. */

const BITABLE = {
  name: 'crm',
  format: 'feishu-bitable',
  appId: 'cli_a1',
  appSecret: 'APP-SECRET-Ω',
  appToken: 'bascnAbc',
  tableId: 'tblXyz',
};

function problemsOf(...endpoints: unknown[]): string[] {
  try {
    parseForwarderSettings({ webhooks: endpoints });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('a connector endpoint has no url of its own: it shows its target, the vendor default base URL', () => {
  const [endpoint] = parseForwarderSettings({ webhooks: [BITABLE] }).webhooks;
  expect(endpoint).toMatchObject({
    name: 'crm',
    format: 'feishu-bitable',
    url: 'https://open.feishu.cn/open-apis/bitable/v1/apps/bascnAbc/tables/tblXyz/records',
    secrets: [],
    headers: {},
  });
  expect(endpoint!.connector).toBeDefined();
  expect(endpoint!.fields).toBeUndefined();
});

test('fields and filter compile; a baseUrl points the connector elsewhere (a simulator)', () => {
  const [endpoint] = parseForwarderSettings({
    webhooks: [{ ...BITABLE, baseUrl: 'http://127.0.0.1:8123', fields: '{"线索ID": data.id}', filter: 'data.page_id = "1"' }],
  }).webhooks;
  expect(endpoint!.url).toBe('http://127.0.0.1:8123/open-apis/bitable/v1/apps/bascnAbc/tables/tblXyz/records');
  expect(endpoint!.fields).toBeDefined();
  expect(endpoint!.filter).toBeDefined();
});

test("a webhook's settings on a connector are named as not applying; unknown ones list what is known", () => {
  expect(problemsOf({ ...BITABLE, url: 'https://x.example.com', secret: 'whsec_x', colour: 'red' })).toEqual([
    'webhooks "crm".url does not apply to format "feishu-bitable": a connector sends with its own settings (baseUrl, appId, appSecret, appToken, tableId)',
    'webhooks "crm".secret does not apply to format "feishu-bitable": a connector sends with its own settings (baseUrl, appId, appSecret, appToken, tableId)',
    'unknown setting "colour" in webhooks "crm" (known for format "feishu-bitable": name, format, timeoutMs, filter, fields, baseUrl, appId, appSecret, appToken, tableId)',
  ]);
});

test('missing or malformed connector settings are each named, never their values', () => {
  const problems = problemsOf({
    name: 'crm',
    format: 'feishu-bitable',
    appSecret: 42,
    appToken: 'has/slash',
    baseUrl: 'ftp://x',
    fields: '{',
  });
  expect(problems).toEqual([
    expect.stringMatching(/^webhooks "crm".fields does not compile: /),
    'webhooks "crm".baseUrl must use https (plain http is allowed only to localhost), not "ftp://x"',
    'webhooks "crm".appId is required (a non-empty string)',
    'webhooks "crm".appSecret must be text in double quotes, not a number',
    'webhooks "crm".appToken must be the id Feishu shows in the table\'s URL (letters and digits)',
    'webhooks "crm".tableId is required (a non-empty string)',
  ]);
  expect(problems.join('\n')).not.toContain('42');
});

test('fields on a webhook format is refused with where it does apply', () => {
  expect(problemsOf({ name: 'api', url: 'https://api.example.com', format: 'http', fields: '{}' })).toEqual([
    expect.stringMatching(
      /^webhooks "api".fields applies to the connector formats only \(feishu-bitable.*\); format "http" shapes its request with "body"$/,
    ),
  ]);
});
