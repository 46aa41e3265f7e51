import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The client secret the tests configure; its token server quotes it in an error, as a careless one might. */
export const CLIENT_SECRET = 'CLIENT-SECRET-Ω';

/** An RFC 6749 §4.4 token endpoint: each grant issues `tok-<n>`; `mode` makes it fail. */
export class TokenServer {
  readonly requests: { headers: Record<string, string | string[] | undefined>; form: URLSearchParams }[] = [];
  mode: 'ok' | 'error' | 'not-json' = 'ok';
  expiresIn: number | undefined = 3600;
  private server: Server = this.create();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/oauth2/token`;
  }
  issued(): number {
    return this.requests.length;
  }
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  /** Down: nothing listens on the port any more (connection refused). */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server = this.create();
  }
  private create(): Server {
    return createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, form: new URLSearchParams(body) });
        const n = this.requests.length;
        if (this.mode === 'error')
          return void res
            .writeHead(401, { 'content-type': 'application/json' })
            .end(`{"error":"invalid_client","error_description":"bad secret ${CLIENT_SECRET}"}`);
        if (this.mode === 'not-json') return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<html>sign in</html>`);
        // Every grant in this burst waits, so concurrent deliveries all find a fetch in flight.
        setTimeout(
          () =>
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ access_token: `tok-${n}`, token_type: 'Bearer', expires_in: this.expiresIn })),
          50,
        );
      });
    });
  }
}
