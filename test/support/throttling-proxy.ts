import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP proxy in front of a local DynamoDB that answers chosen calls the way DynamoDB
 * does when it throttles (HTTP 400, ProvisionedThroughputExceededException), and forwards
 * everything else untouched. dynalite cannot throttle on demand; this lets a test see what the
 * SDK client's own retries make of it.
 */
export interface ThrottlingProxy {
  endpoint: string;
  /** Calls answered with the throttling error so far. */
  throttled(): number;
  close(): Promise<void>;
}

/** `throttle(target, body)` says whether to throttle a call (target: e.g. `DynamoDB_20120810.UpdateItem`). */
export async function startThrottlingProxy(
  upstream: string,
  throttle: (target: string, body: string) => boolean,
): Promise<ThrottlingProxy> {
  const to = new URL(upstream);
  let throttled = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (throttle(target, body)) {
        throttled += 1;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'injected: the request rate is too high',
          }),
        );
        return;
      }
      const forward = httpRequest(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttled: () => throttled,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
