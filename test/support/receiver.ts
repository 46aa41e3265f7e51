import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real node:http webhook receiver that records what reached it and answers as scripted. */

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed JSON body, when it is JSON. */
  json: unknown;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'reset';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Lead ids of the requests answered 2xx on a connection the sender still held, in answer order. */
  accepted: string[];
  close(): Promise<void>;
}

/** `answer(n)` decides the reply to the n-th request (0-based); default 200. */
export async function startReceiver(
  answer: (n: number, request: ReceivedRequest) => Answer = () => ({ status: 200 }),
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const accepted: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const request = { headers: req.headers, body, json };
      const reply = answer(requests.length, request);
      requests.push(request);
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      const respond = (): void => {
        // The sender gave up (its timeout) or the connection broke: nothing was delivered.
        if (res.destroyed || req.socket.destroyed) return;
        if (reply.status >= 200 && reply.status < 300) res.once('finish', () => accepted.push(leadIdOf(json)));
        res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
      };
      if (reply.delayMs === undefined) respond();
      else setTimeout(respond, reply.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function leadIdOf(json: unknown): string {
  if (typeof json === 'object' && json !== null && 'data' in json) {
    const data = json.data;
    if (typeof data === 'object' && data !== null && 'id' in data) return String(data.id);
  }
  return '?';
}
