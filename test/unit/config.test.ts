import { generateKeyPairSync } from 'node:crypto';
import { parseSettings } from '../../functions/shared/config';
import { ConfigError } from '../../functions/shared/errors';

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
      top: { appKey: '12345678', appSecret: 'app-secret-value', sessionKey: 'session-value', gatewayUrl: 'https://eco.taobao.com/router/rest', signMethod: 'hmac-sha256', pageSize: 100 },
      startFrom: { kind: 'latest' },
      pollIntervalSeconds: 60,
      webhooks: [{ name: 'crm', url: 'https://crm.example.com/hooks/leads', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], headers: {}, format: 'standard', timeoutMs: 10_000 }],
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
        { name: 'crm', url: 'https://crm.example.com/a', secret: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'], headers: { Authorization: 'Bearer x' }, timeoutMs: 5000 },
        { name: 'sales-group', url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', format: 'dingtalk', secret: 'SEC123' },
        { name: 'local', url: 'http://127.0.0.1:9999/hook' },
      ],
    });
    expect(settings.startFrom).toEqual({ kind: 'id', id: '9007199254740993123' });
    expect(settings.webhooks.map((w) => [w.name, w.format, w.secrets.length])).toEqual([['crm', 'standard', 2], ['sales-group', 'dingtalk', 1], ['local', 'standard', 0]]);
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
    const problems = problemsOf({ top: { appKey: 'k', appSecret: 'TOPSECRET', sessionKey: 'SESSIONSECRET', pageSize: 0 }, webhooks: [{ name: 'w', url: 'http://example.com/?key=URLKEY', secret: 'whsec_BADSECRET' }] });
    const text = problems.join('\n');
    for (const secret of ['TOPSECRET', 'SESSIONSECRET', 'URLKEY', 'BADSECRET']) expect(text).not.toContain(secret);
  });
});
