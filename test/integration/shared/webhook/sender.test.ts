import { createHmac, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { Dispatcher } from 'undici';
import type { Endpoint, WebhookFormatName } from '../../../../functions/shared/domain/settings';
import type { Delivery } from '../../../../functions/shared/webhook/delivery';
import { renderRequest } from '../../../../functions/shared/webhook/formats';
import { classify } from '../../../../functions/forwarder/outcome';
import { MAX_RESPONSE_BODY_BYTES, createDispatcher, send, type SendResult } from '../../../../functions/shared/webhook/sender';
import { headerRecord, startReceiver, type Receiver } from './receiver';

const lead = { id: '221985', name: '**三', mobile: '13800138000', mobile_encrypted: false, page_name: '新半价2' };
const delivery: Delivery = { lead, seenAt: '2026-11-29T06:00:00.000Z' };
const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
/** Short enough to keep the suite fast, long enough for a loopback round trip on a busy machine. */
const TIMEOUT_MS = 300;
const USER_AGENT_PATTERN: unknown = expect.stringMatching(/^alimama-lead-forwarder\/\d/);

let dispatcher: Dispatcher;
const receivers: Receiver[] = [];

beforeAll(() => {
  dispatcher = createDispatcher();
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await dispatcher.destroy();
});

async function receiver(respond: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const started = await startReceiver(respond);
  receivers.push(started);
  return started;
}

function endpointAt(url: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return { name: 'crm', url, secrets: [], headers: {}, format: 'standard', timeoutMs: TIMEOUT_MS, ...overrides };
}

async function deliver(endpoint: Endpoint, what: Delivery = delivery): Promise<SendResult> {
  return send(dispatcher, renderRequest(endpoint, what, new Date()), endpoint.timeoutMs);
}

const outcomeOf = (result: SendResult, format: WebhookFormatName = 'standard') => classify(result, format, { endpoint: 'crm' });

function answer(status: number, body = '', headers: Record<string, string> = {}) {
  return (_req: unknown, res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

describe('send against real HTTP receivers', () => {
  it('delivers on 2xx, and the receiver verifies the signature with the standardwebhooks library', async () => {
    const secret = newSecret();
    const crm = await receiver(answer(204));
    const result = await deliver(endpointAt(`${crm.origin}/hooks/leads?tenant=1`, { secrets: [secret] }));
    expect(result).toMatchObject({ kind: 'response', status: 204, body: '' });
    expect(outcomeOf(result).outcome).toBe('delivered');
    const [request] = crm.received;
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/leads?tenant=1' });
    expect(new Webhook(secret).verify(request!.body, headerRecord(request!.headers))).toEqual({
      type: 'lead.created',
      timestamp: delivery.seenAt,
      data: lead,
    });
  });

  it('sends a rotating endpoint a signature that each secret verifies on its own', async () => {
    const [current, previous] = [newSecret(), newSecret()];
    const crm = await receiver(answer(200, '{"ok":true}'));
    await deliver(endpointAt(crm.origin, { secrets: [current, previous] }));
    const [request] = crm.received;
    for (const secret of [current, previous])
      expect(() => new Webhook(secret).verify(request!.body, headerRecord(request!.headers))).not.toThrow();
  });

  it('marks a test send in the payload and its webhook-id', async () => {
    const crm = await receiver(answer(200));
    await deliver(endpointAt(crm.origin), { ...delivery, test: true });
    const [request] = crm.received;
    expect(JSON.parse(request!.body)).toMatchObject({ type: 'lead.created', test: true });
    expect(request!.headers['webhook-id']).toBe('test_221985');
  });

  it('passes custom headers without letting them replace the webhook headers', async () => {
    const crm = await receiver(answer(200));
    await deliver(
      endpointAt(crm.origin, { headers: { authorization: 'Bearer t0k', 'x-tenant': 'acme', 'webhook-id': 'forged' } }),
    );
    expect(crm.received[0]!.headers).toMatchObject({
      authorization: 'Bearer t0k',
      'x-tenant': 'acme',
      'webhook-id': 'lead_221985',
      'content-type': 'application/json',
      'user-agent': USER_AGENT_PATTERN,
    });
  });

  it('reports 410 as gone', async () => {
    const crm = await receiver(answer(410, '{"error":"endpoint disabled"}'));
    expect(outcomeOf(await deliver(endpointAt(crm.origin)))).toMatchObject({ outcome: 'gone' });
  });

  it('rejects a 400; the start of its body is kept apart from the (logged) reason', async () => {
    const crm = await receiver(answer(400, '{"error":"missing field phone"}'));
    expect(outcomeOf(await deliver(endpointAt(crm.origin)))).toEqual({
      outcome: 'rejected',
      reason: 'HTTP 400 from crm',
      response: '{"error":"missing field phone"}',
      status: 400,
      latencyMs: expect.any(Number) as unknown,
    });
  });

  it('retries a 429 after its Retry-After in seconds', async () => {
    const crm = await receiver(answer(429, '', { 'retry-after': '30' }));
    const result = await deliver(endpointAt(crm.origin));
    expect(result).toMatchObject({ status: 429, retryAfter: '30' });
    expect(outcomeOf(result)).toMatchObject({ outcome: 'retry', retryAfterSeconds: 30 });
  });

  it("retries a 429 after the wait Feishu's gateway states in x-ogw-ratelimit-reset", async () => {
    const bot = await receiver(
      answer(429, '{"code":99991400,"msg":"request trigger frequency limit"}', { 'x-ogw-ratelimit-reset': '7' }),
    );
    const result = await deliver(endpointAt(bot.origin));
    expect(result).toMatchObject({ status: 429, retryAfter: '7' });
    expect(classify(result, 'feishu', { endpoint: 'bot' })).toMatchObject({ outcome: 'retry', retryAfterSeconds: 7 });
  });

  it('retries a 429 after its Retry-After as an HTTP date', async () => {
    const crm = await receiver(answer(429, '', { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }));
    const { retryAfterSeconds } = outcomeOf(await deliver(endpointAt(crm.origin)));
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(118);
    expect(retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it('retries a 503', async () => {
    const crm = await receiver(answer(503, 'maintenance'));
    expect(outcomeOf(await deliver(endpointAt(crm.origin))).outcome).toBe('retry');
  });

  it('times out a receiver that never answers', async () => {
    const crm = await receiver(() => undefined);
    const result = await deliver(endpointAt(crm.origin));
    expect(result).toMatchObject({ kind: 'network', reason: 'timeout' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(result.latencyMs).toBeLessThan(TIMEOUT_MS + 3_000); // it ends: the receiver never would
    expect(outcomeOf(result).outcome).toBe('retry');
  });

  it('a 2xx whose body trickles in past the timeout is still a 2xx (DESIGN: 2xx = delivered), read no longer than the timeout', async () => {
    const crm = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 30);
      res.on('close', () => clearInterval(timer));
    });
    const result = await deliver(endpointAt(crm.origin));
    expect(result).toMatchObject({ kind: 'response', status: 200, bodyIncomplete: true });
    expect(result.latencyMs).toBeLessThan(TIMEOUT_MS + 3_000); // it ends: the receiver never would
    expect(outcomeOf(result).outcome).toBe('delivered');
    // A chat robot's verdict is in its body: without a complete reply code it is retried.
    expect(classify(result, 'wecom', { endpoint: 'bot' })).toMatchObject({
      outcome: 'retry',
      reason: expect.stringContaining('cut short') as string,
    });
  });

  it('a 2xx whose body breaks off is still a 2xx; a 503 whose body breaks off is still a retry', async () => {
    const accepts = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"ok":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const accepted = await deliver(endpointAt(accepts.origin));
    expect(accepted).toMatchObject({ kind: 'response', status: 200, bodyIncomplete: true, body: '{"ok":' });
    expect(outcomeOf(accepted).outcome).toBe('delivered');
    const busy = await receiver((_req, res) => {
      res.writeHead(503, { 'content-length': '100' });
      res.write('down for');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    expect(outcomeOf(await deliver(endpointAt(busy.origin))).outcome).toBe('retry');
  });

  it('reports a reset connection as a connection error', async () => {
    const crm = await receiver((req) => req.socket.destroy());
    const result = await deliver(endpointAt(crm.origin));
    expect(result).toMatchObject({ kind: 'network', reason: 'connection' });
    expect(outcomeOf(result).outcome).toBe('retry');
  });

  it('reports a refused connection as a connection error', async () => {
    const closed = await startReceiver(answer(200));
    await closed.close();
    expect(await deliver(endpointAt(closed.origin))).toMatchObject({ kind: 'network', reason: 'connection' });
  });

  it('never follows a redirect: the target receives nothing and the 302 is rejected', async () => {
    const target = await receiver(answer(200));
    const crm = await receiver(answer(302, '', { location: `${target.origin}/elsewhere` }));
    const result = await deliver(endpointAt(crm.origin));
    expect(result).toMatchObject({ kind: 'response', status: 302 });
    expect(outcomeOf(result).outcome).toBe('rejected');
    expect(target.received).toHaveLength(0);
  });

  it('never hands the pool a header value HTTP cannot carry, so refusals do not wedge it', async () => {
    const crm = await receiver(answer(200));
    const request = renderRequest(endpointAt(crm.origin), delivery, new Date());
    // More than the pool's connections: undici leaked one slot per refused request.
    for (let i = 0; i < 12; i += 1) {
      expect(
        await send(dispatcher, { ...request, headers: { ...request.headers, 'x-shop': '测试店铺' } }, TIMEOUT_MS),
      ).toMatchObject({
        kind: 'network',
        reason: 'connection',
        message: 'header x-shop has a value HTTP cannot carry; nothing was sent',
      });
    }
    expect(crm.received).toHaveLength(0);
    expect(await send(dispatcher, request, TIMEOUT_MS)).toMatchObject({ kind: 'response', status: 200 });
  });

  it('keeps to its time budget even when the pool ignores the abort (a dispatcher that never answers: no server can produce that)', async () => {
    const wedged = { dispatch: () => true } as unknown as Dispatcher;
    const request = renderRequest(endpointAt('http://127.0.0.1:9/hook'), delivery, new Date());
    const result = await send(wedged, request, TIMEOUT_MS);
    expect(result).toMatchObject({ kind: 'network', reason: 'timeout', message: `no complete response within ${TIMEOUT_MS} ms` });
    expect(result.latencyMs).toBeLessThan(TIMEOUT_MS + 3_000);
  });

  it('reuses one keep-alive connection for sequential sends', async () => {
    const crm = await receiver(answer(200, '{"ok":true}'));
    for (let i = 0; i < 4; i += 1) expect(await deliver(endpointAt(crm.origin))).toMatchObject({ status: 200 });
    expect(crm.received).toHaveLength(4);
    expect(crm.connections()).toBe(1);
  });

  it('keeps only the first few KB of a large body', async () => {
    const crm = await receiver(answer(500, 'x'.repeat(200_000)));
    const result = await deliver(endpointAt(crm.origin));
    expect(result).toMatchObject({ kind: 'response', status: 500 });
    expect(result.kind === 'response' && result.body.length).toBe(MAX_RESPONSE_BODY_BYTES);
  });
});

describe('chat robots end to end', () => {
  it('dingtalk: the robot sees a valid sign in the query; a 200 with errcode 130101 is retried after the throttle', async () => {
    const secret = 'SEC' + randomBytes(16).toString('hex');
    let signOk = false;
    const robot = await receiver((req, res) => {
      const url = new URL(req.url ?? '', 'http://robot');
      const timestamp = url.searchParams.get('timestamp') ?? '';
      const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
      signOk =
        url.searchParams.get('access_token') === 'tok' &&
        url.searchParams.get('sign') === expected &&
        Math.abs(Number(timestamp) - Date.now()) < 60_000;
      answer(200, '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}')(req, res);
    });
    const result = await deliver(
      endpointAt(`${robot.origin}/robot/send?access_token=tok`, { format: 'dingtalk', secrets: [secret] }),
    );
    expect(signOk).toBe(true);
    expect(outcomeOf(result, 'dingtalk')).toMatchObject({ outcome: 'retry', retryAfterSeconds: 600 });
  });

  it('feishu: the robot sees a valid sign in the body; code 0 is delivered, code 19021 rejected', async () => {
    const secret = randomBytes(12).toString('hex');
    const codes = [0, 19021];
    const robot = await receiver((req, res, received) => {
      const body = JSON.parse(received.body) as { timestamp: string; sign: string; msg_type: string };
      const expected = createHmac('sha256', `${body.timestamp}\n${secret}`).update('').digest('base64');
      const code = body.sign === expected && body.msg_type === 'interactive' ? codes.shift() : 9499;
      answer(200, JSON.stringify({ code, msg: code === 0 ? 'success' : 'sign match fail', data: {} }))(req, res);
    });
    const endpoint = endpointAt(robot.origin, { format: 'feishu', secrets: [secret] });
    expect(outcomeOf(await deliver(endpoint), 'feishu').outcome).toBe('delivered');
    const rejected = outcomeOf(await deliver(endpoint), 'feishu');
    expect(rejected.outcome).toBe('rejected');
    expect(rejected.reason).toContain('19021');
  });

  it('wecom: a markdown card; errcode 0 is delivered', async () => {
    const robot = await receiver(answer(200, '{"errcode":0,"errmsg":"ok"}'));
    const result = await deliver(endpointAt(`${robot.origin}/cgi-bin/webhook/send?key=k`, { format: 'wecom' }));
    expect(outcomeOf(result, 'wecom').outcome).toBe('delivered');
    const body = JSON.parse(robot.received[0]!.body) as { msgtype: string; markdown: { content: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('新线索');
  });
});
