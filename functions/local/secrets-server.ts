import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the one Secrets Manager call the handlers make (GetSecretValue), so
 * the same handler code (and the same deployed bundle) runs locally unchanged: the SDK finds it
 * through AWS_ENDPOINT_URL_SECRETS_MANAGER. Secrets live in memory only.
 */
export interface LocalSecretsManager {
  endpoint: string;
  set(id: string, value: string): void;
  close(): Promise<void>;
}

export async function startLocalSecretsManager(initial: Record<string, string> = {}): Promise<LocalSecretsManager> {
  const secrets = new Map(Object.entries(initial));
  const server = createServer((req, res) => {
    void answer(req, res, secrets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (id, value) => void secrets.set(id, value),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, secrets: Map<string, string>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const reply = (status: number, body: object): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  };
  if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
    return reply(400, { __type: 'UnknownOperationException', message: `not simulated: ${String(req.headers['x-amz-target'])}` });
  }
  let secretId: unknown;
  try {
    secretId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId;
  } catch {
    return reply(400, { __type: 'SerializationException', message: 'body is not JSON' });
  }
  const value = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
  if (typeof secretId !== 'string' || value === undefined) {
    return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  }
  reply(200, { ARN: secretId, Name: secretId, SecretString: value, VersionId: 'local', CreatedDate: 0 });
}
