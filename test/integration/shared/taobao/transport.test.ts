import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TopClient } from '../../../../functions/shared/taobao/client';
import { TopTransportError } from '../../../../functions/shared/taobao/errors';
import { postForm, ResponseTooLargeError } from '../../../../functions/shared/taobao/transport';

// The TOP client's HTTP transport against real node:http servers that misbehave in the ways a
// gateway or a proxy in front of it can: every failure must come out as an error, never as a
// short (scan-ending) page.

const FORM = 'application/x-www-form-urlencoded;charset=utf-8';
const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<URL> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/router/rest`);
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const options = { timeoutMs: 2_000, maxResponseBytes: 1_000 };

describe('postForm', () => {
  it('sends the form with its length and content type and returns status and text', async () => {
    let seen: { body: string; type?: string; length?: string } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen = {
          body: Buffer.concat(chunks).toString('utf8'),
          ...(req.headers['content-type'] === undefined ? {} : { type: req.headers['content-type'] }),
          ...(req.headers['content-length'] === undefined ? {} : { length: req.headers['content-length'] }),
        };
        res.end('{"ok":"好"}');
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const form = 'a=1&name=%E5%A5%BD';
    await expect(postForm(url, form, FORM, options)).resolves.toEqual({ status: 200, text: '{"ok":"好"}' });
    expect(seen).toEqual({ body: form, type: FORM, length: String(Buffer.byteLength(form)) });
  });

  it('does not follow a redirect: the 302 and its location come back', async () => {
    let followed = 0;
    const target = await serve((_req, res) => {
      followed += 1;
      res.end('{}');
    });
    const url = await serve((_req, res) => {
      res.writeHead(302, { location: target.href });
      res.end();
    });
    await expect(postForm(url, 'a=1', FORM, options)).resolves.toEqual({ status: 302, location: target.href, text: '' });
    expect(followed).toBe(0);
  });

  it('refuses a body over the cap instead of buffering it', async () => {
    const url = await serve((_req, res) => res.end('x'.repeat(5_000)));
    await expect(postForm(url, 'a=1', FORM, options)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it('rejects a body cut off mid-way (content-length promised more)', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '500' });
      res.write('{"mama_crm_lead_list_response":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(postForm(url, 'a=1', FORM, options)).rejects.toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
  });

  it('times out a gateway that stalls mid-body', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"mama_crm_lead_list_response":');
    });
    const started = Date.now();
    await expect(postForm(url, 'a=1', FORM, { ...options, timeoutMs: 200 })).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(3_000); // it ends: the gateway never would
  });

  it('rejects a refused connection', async () => {
    const url = await serve(() => undefined);
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(postForm(url, 'a=1', FORM, options)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('TopClient over misbehaving transports', () => {
  function clientFor(url: URL, extra: { maxResponseBytes?: number; requestTimeoutMs?: number } = {}): TopClient {
    return new TopClient({ appKey: 'k', appSecret: 's', sessionKey: 'session', gatewayUrl: url.href, maxAttempts: 1, ...extra });
  }
  const call = (client: TopClient): Promise<unknown> =>
    client.call('taobao.mama.crm.lead.list', { lead_external_query_dto: '{"page_size":10}' }, { deadline: Date.now() + 5_000 });

  it('a stall mid-body is a retryable transport error naming the timeout', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"mama_crm_lead_list_response":{"result_data":');
    });
    const error = await call(clientFor(url, { requestTimeoutMs: 200 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopTransportError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('timed out after 200 ms') as unknown });
  });

  it('an oversized body is a transport error, not a page', async () => {
    const url = await serve((_req, res) =>
      res.end(`{"mama_crm_lead_list_response":{"result_data":{"result":[${'{},'.repeat(400)}{}]}}}`),
    );
    const error = await call(clientFor(url, { maxResponseBytes: 500 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopTransportError);
    expect(error).toMatchObject({ message: expect.stringContaining('larger than 500 bytes') as unknown });
  });

  it('a body cut off mid-way is a transport error, not a short page', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '2000' });
      res.write('{"mama_crm_lead_list_response":{"result_data":{"result":[]}}}');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(call(clientFor(url))).rejects.toBeInstanceOf(TopTransportError);
  });
});
