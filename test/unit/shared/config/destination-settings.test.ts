import { unsignedWarnings } from '../../../../functions/local/runner/config-file';
import { parseForwarderSettings } from '../../../../functions/shared/config/parse-settings';
import { ConfigError } from '../../../../functions/shared/domain/errors';

/** DESIGN §7 settings of an endpoint: filter, format http (method, contentType, body) and auth. */

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function webhooks(...endpoints: Record<string, unknown>[]) {
  return parseForwarderSettings({ webhooks: endpoints }).webhooks;
}

function problemsOf(...endpoints: unknown[]): string[] {
  try {
    parseForwarderSettings({ webhooks: endpoints });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('endpoint filter, http format and auth settings', () => {
  it('accepts format http with its defaults: POST, json, the Standard payload', () => {
    const [endpoint] = webhooks({ name: 'api', url: 'https://api.example.com/leads', format: 'http' });
    expect(endpoint).toMatchObject({ name: 'api', format: 'http', method: 'POST', contentType: 'json' });
    expect(endpoint!.body).toBeUndefined();
    expect(endpoint!.auth).toBeUndefined();
  });

  it('accepts every documented option, the expressions compiled', () => {
    const [http, standard, bot] = webhooks(
      {
        name: 'api',
        url: 'https://api.example.com/leads',
        format: 'http',
        method: 'PUT',
        contentType: 'form',
        body: '{"lead_id": data.id, "hook": $webhookId}',
        filter: "data.page_id in ['5314456', '5320001']",
        secret: SECRET,
        auth: {
          type: 'oauth2',
          tokenUrl: 'https://login.example.com/oauth2/token',
          clientId: 'client-1',
          clientSecret: 'CLIENTSECRET',
          scope: 'leads.write',
        },
      },
      { name: 'crm', url: 'https://crm.example.com/hook', auth: { type: 'basic', username: 'forwarder', password: 'PASSWORD' } },
      {
        name: 'group',
        url: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
        format: 'dingtalk',
        filter: 'data.mm_src_cname = "淘积木其他"',
      },
    );
    expect(http).toMatchObject({ method: 'PUT', contentType: 'form', secrets: [SECRET] });
    expect(http!.body?.source).toBe('{"lead_id": data.id, "hook": $webhookId}');
    expect(http!.filter?.source).toBe("data.page_id in ['5314456', '5320001']");
    expect(http!.auth).toEqual({
      type: 'oauth2',
      tokenUrl: 'https://login.example.com/oauth2/token',
      clientId: 'client-1',
      clientSecret: 'CLIENTSECRET',
      scope: 'leads.write',
    });
    expect(standard!.auth).toEqual({ type: 'basic', username: 'forwarder', password: 'PASSWORD' });
    expect(bot!.filter?.source).toBe('data.mm_src_cname = "淘积木其他"');
    expect(webhooks({ name: 'b', url: 'https://b.example.com', auth: { type: 'bearer', token: 'TOKEN' } })[0]!.auth).toEqual({
      type: 'bearer',
      token: 'TOKEN',
    });
  });

  it('lists every wrong filter, body and auth at once, each by endpoint and key', () => {
    const problems = problemsOf(
      { name: 'a', url: 'https://a.example.com', filter: 'data.page_id in [' },
      { name: 'b', url: 'https://b.example.com', format: 'http', body: '{"id": data.id', method: 'GET', contentType: 'xml' },
      { name: 'c', url: 'https://c.example.com', filter: true, format: 'http', body: 42 },
      { name: 'd', url: 'https://d.example.com', method: 'PUT', body: 'data', contentType: 'form' },
      {
        name: 'e',
        url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k',
        format: 'wecom',
        auth: { type: 'bearer', token: 'TOKEN-E' },
      },
      { name: 'f', url: 'https://f.example.com', auth: { type: 'digest' } },
      { name: 'g', url: 'https://g.example.com', auth: { type: 'bearer', token: 'TOKEN-G', extra: 1 } },
      {
        name: 'h',
        url: 'https://h.example.com',
        format: 'http',
        auth: { type: 'oauth2', tokenUrl: 'http://login.example.com/token', clientId: 'id', clientSecret: 7 },
      },
      { name: 'i', url: 'https://i.example.com', auth: { type: 'basic', username: 'me:you', password: 'PASSWORD-I' } },
      {
        name: 'j',
        url: 'https://j.example.com',
        headers: { Authorization: 'Bearer HEADER-J' },
        auth: { type: 'bearer', token: 'TOKEN-J' },
      },
      { name: 'k', url: 'https://k.example.com', auth: 'Bearer TOKEN-K' },
      { name: 'l', url: 'https://l.example.com', format: 'http', secret: 'not-whsec' },
    );
    expect(problems).toEqual([
      expect.stringMatching(/^webhooks "a"\.filter does not compile: .*\(JSONata S0203 at character \d+\)$/),
      expect.stringMatching(/^webhooks "b"\.method must be one of POST, PUT, PATCH, not "GET"$/),
      expect.stringMatching(/^webhooks "b"\.contentType must be one of json, form, not "xml"$/),
      expect.stringMatching(/^webhooks "b"\.body does not compile: .*JSONata S0\d+/),
      'webhooks "c".filter must be a JSONata expression in a string, not a boolean',
      'webhooks "c".body must be a JSONata expression in a string, not a number',
      'webhooks "d".method applies to format "http" only, not "standard"',
      'webhooks "d".contentType applies to format "http" only, not "standard"',
      'webhooks "d".body applies to format "http" only, not "standard"',
      expect.stringMatching(/^webhooks "e"\.auth applies to formats standard and http only/),
      'webhooks "f".auth must be an object with "type": "bearer", "basic", "oauth2"',
      expect.stringMatching(/^unknown setting "webhooks "g"\.auth\.extra"/),
      expect.stringMatching(/^webhooks "h"\.auth\.tokenUrl must use https/),
      'webhooks "h".auth.clientSecret must be text in double quotes, not a number',
      'webhooks "i".auth.username cannot contain ":" (Basic authentication separates the user name from the password with it)',
      'webhooks "j": "auth" and an "Authorization" header both set the Authorization header; keep one',
      'webhooks "k".auth must be an object with "type": "bearer", "basic", "oauth2"',
      expect.stringMatching(/^webhooks "l"\.secret: must start with "whsec_"/),
    ]);
    const text = problems.join('\n');
    for (const secret of ['TOKEN-E', 'TOKEN-G', 'PASSWORD-I', 'HEADER-J', 'TOKEN-J', 'TOKEN-K', 'me:you'])
      expect(text).not.toContain(secret);
  });

  it('refuses a bearer token HTTP cannot carry in a header, without echoing it', () => {
    const problems = problemsOf({
      name: 'b',
      url: 'https://b.example.com',
      auth: { type: 'bearer', token: 'SECRET\r\nX-Injected: 1' },
    });
    expect(problems).toEqual([expect.stringMatching(/^webhooks "b"\.auth\.token must be a single-line string of visible ASCII/)]);
    expect(problems.join('\n')).not.toContain('SECRET');
  });

  it('requires every credential of its kind, naming each missing key', () => {
    expect(problemsOf({ name: 'o', url: 'https://o.example.com', auth: { type: 'oauth2' } })).toEqual([
      'webhooks "o".auth.tokenUrl is required (an https URL)',
      'webhooks "o".auth.clientId is required (a non-empty string)',
      'webhooks "o".auth.clientSecret is required (a non-empty string)',
    ]);
    expect(problemsOf({ name: 'p', url: 'https://p.example.com', auth: { type: 'basic', username: 'u' } })).toEqual([
      'webhooks "p".auth.password is required (a non-empty string)',
    ]);
  });

  it('warns at start about an unsigned http endpoint as about a standard one', () => {
    expect(
      unsignedWarnings({ webhooks: webhooks({ name: 'api', url: 'https://api.example.com/leads', format: 'http' }) }),
    ).toEqual([
      'warning: webhook "api" has no secret, so its deliveries go out without a webhook-signature; add "secret": "whsec_…" to sign them',
    ]);
  });
});
