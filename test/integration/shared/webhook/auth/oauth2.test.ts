import type { Dispatcher } from 'undici';
import type { Endpoint, EndpointAuth } from '../../../../../functions/shared/domain/settings';
import { sendAuthorized } from '../../../../../functions/shared/webhook/auth/send-authorized';
import { TokenRequestError } from '../../../../../functions/shared/webhook/auth/oauth2-token';
import { RENEW_BEFORE_EXPIRY_MS, TokenCache } from '../../../../../functions/shared/webhook/auth/token-cache';
import { renderRequest } from '../../../../../functions/shared/webhook/formats';
import { createDispatcher, type SendResult } from '../../../../../functions/shared/webhook/sender';
import { startReceiver, type Receiver } from '../receiver';
import { CLIENT_SECRET, TokenServer } from '../../../../support/token-server';

/** DESIGN §7 auth against real node:http servers: a token endpoint and the API it guards. */

const lead = { id: '221985', name: '**三', page_id: '5314456' };
const delivery = { lead, seenAt: '2026-11-29T06:00:00.000Z' };

let dispatcher: Dispatcher;
let tokenServer: TokenServer;
let api: Receiver;
/** Tokens the API refuses with 401 (revoked before their time). */
let revoked: Set<string>;

beforeAll(() => {
  dispatcher = createDispatcher();
});
beforeEach(async () => {
  tokenServer = new TokenServer();
  await tokenServer.start();
  revoked = new Set();
  api = await startReceiver((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    res.writeHead(token === undefined || revoked.has(token) ? 401 : 200).end();
  });
});
afterEach(async () => {
  await api.close();
  await tokenServer.stop();
});
afterAll(async () => {
  await dispatcher.destroy();
});

function endpointWith(auth: EndpointAuth, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    name: 'crm',
    url: `${api.origin}/leads`,
    secrets: [],
    headers: {},
    format: 'http',
    method: 'POST',
    contentType: 'json',
    timeoutMs: 2_000,
    auth,
    ...overrides,
  };
}

const oauth2 = (): EndpointAuth => ({
  type: 'oauth2',
  tokenUrl: tokenServer.url,
  clientId: 'client-1',
  clientSecret: CLIENT_SECRET,
  scope: 'leads.write',
});

function deliver(endpoint: Endpoint, tokens: TokenCache): Promise<SendResult> {
  return sendAuthorized(dispatcher, endpoint, renderRequest(endpoint, delivery, new Date()), tokens);
}

const status = (result: SendResult): number | string => (result.kind === 'response' ? result.status : result.reason);
const tokensSeen = (): (string | undefined)[] => api.received.map((r) => r.headers.authorization);

describe('OAuth 2.0 client credentials', () => {
  it('fetches one token for many concurrent deliveries, as RFC 6749 §4.4 asks, and sends it with each', async () => {
    const tokens = new TokenCache();
    const results = await Promise.all(Array.from({ length: 20 }, () => deliver(endpointWith(oauth2()), tokens)));
    expect(results.map(status)).toEqual(Array(20).fill(200));
    expect(tokenServer.issued()).toBe(1);
    expect(new Set(tokensSeen())).toEqual(new Set(['Bearer tok-1']));
    const [grant] = tokenServer.requests;
    expect(grant!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=utf-8');
    expect(Object.fromEntries(grant!.form)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-1',
      client_secret: CLIENT_SECRET,
      scope: 'leads.write',
    });
  });

  it('renews a token a minute before expires_in ends, not before', async () => {
    let now = Date.parse('2026-11-29T06:00:00Z');
    const tokens = new TokenCache(() => now);
    await deliver(endpointWith(oauth2()), tokens);
    now += 3600_000 - RENEW_BEFORE_EXPIRY_MS - 1_000;
    await deliver(endpointWith(oauth2()), tokens);
    expect(tokenServer.issued()).toBe(1);
    now += 1_000;
    await deliver(endpointWith(oauth2()), tokens);
    expect(tokenServer.issued()).toBe(2);
    expect(tokensSeen()).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('keeps a token without expires_in until the API answers 401, then fetches a new one and tries once more', async () => {
    tokenServer.expiresIn = undefined;
    const tokens = new TokenCache();
    expect(status(await deliver(endpointWith(oauth2()), tokens))).toBe(200);
    revoked.add('tok-1');
    expect(status(await deliver(endpointWith(oauth2()), tokens))).toBe(200);
    expect(tokensSeen()).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    expect(tokenServer.issued()).toBe(2);
  });

  it('tries only once more after a 401: a second 401 is the answer, for the usual rules to read', async () => {
    const tokens = new TokenCache();
    revoked.add('tok-1').add('tok-2');
    expect(status(await deliver(endpointWith(oauth2()), tokens))).toBe(401);
    expect(tokensSeen()).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('many deliveries refused with the same token renew it once', async () => {
    const tokens = new TokenCache();
    await deliver(endpointWith(oauth2()), tokens);
    revoked.add('tok-1');
    const results = await Promise.all(Array.from({ length: 10 }, () => deliver(endpointWith(oauth2()), tokens)));
    expect(results.map(status)).toEqual(Array(10).fill(200));
    expect(tokenServer.issued()).toBe(2);
  });

  it('reports a token endpoint that is down as a retryable TokenRequestError, then succeeds once it is up', async () => {
    const tokens = new TokenCache();
    const { port } = tokenServer;
    await tokenServer.stop();
    const error: unknown = await deliver(endpointWith(oauth2()), tokens).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ name: 'TokenRequestError', retryable: true });
    expect((error as Error).message).toMatch(/^webhooks "crm": no OAuth token: the token endpoint could not be reached/);
    expect(api.received).toHaveLength(0);
    await tokenServer.start(port);
    expect(status(await deliver(endpointWith(oauth2()), tokens))).toBe(200);
  });

  it('reports a refusal or an answer that is not JSON as a TokenRequestError, never quoting a credential or the token URL', async () => {
    const tokens = new TokenCache();
    tokenServer.mode = 'error';
    const refused: unknown = await deliver(endpointWith(oauth2()), tokens).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TokenRequestError);
    expect((refused as Error).message).toBe(
      'webhooks "crm": no OAuth token: the token endpoint answered HTTP 401 (invalid_client)',
    );
    tokenServer.mode = 'not-json';
    const garbled: unknown = await deliver(endpointWith(oauth2()), tokens).catch((e: unknown) => e);
    expect((garbled as Error).message).toBe('webhooks "crm": no OAuth token: the token endpoint\'s answer is not a JSON object');
    for (const error of [refused, garbled]) {
      const text = `${(error as Error).message} ${(error as Error).stack ?? ''}`;
      for (const secret of [CLIENT_SECRET, 'client-1', tokenServer.url]) expect(text).not.toContain(secret);
    }
    expect(api.received).toHaveLength(0);
    tokenServer.mode = 'ok';
    expect(status(await deliver(endpointWith(oauth2()), tokens))).toBe(200);
  });
});

describe('static credentials', () => {
  it('send a bearer token or Basic credentials (UTF-8) with the configured method', async () => {
    const tokens = new TokenCache();
    await deliver(endpointWith({ type: 'bearer', token: 'static-token' }, { method: 'PUT' }), tokens);
    await deliver(endpointWith({ type: 'basic', username: 'forwarder', password: 'pässword' }, { method: 'PATCH' }), tokens);
    expect(api.received.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['PUT', 'Bearer static-token'],
      ['PATCH', `Basic ${Buffer.from('forwarder:pässword', 'utf8').toString('base64')}`],
    ]);
  });

  it('are not retried on a 401: the same credentials would be refused again', async () => {
    revoked.add('tok-old');
    expect(status(await deliver(endpointWith({ type: 'bearer', token: 'tok-old' }), new TokenCache()))).toBe(401);
    expect(api.received).toHaveLength(1);
    expect(tokenServer.issued()).toBe(0);
  });
});
