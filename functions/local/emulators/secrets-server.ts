import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the one Secrets Manager call the handlers make (GetSecretValue), so
 * the same handler code (and the same deployed bundle) runs locally unchanged: the SDK finds it
 * through AWS_ENDPOINT_URL_SECRETS_MANAGER. Secrets live in memory only.
 *
 * With `accessKeyId`, only requests signed with that key id get an answer. The local runner
 * makes one up per run and gives it only to its handlers (their environment, which other users
 * of the machine cannot read): another local user who finds the port gets no secret. It is a
 * shared token, not SigV4 verification, which a loopback stand-in does not need.
 */
export interface LocalSecretsManager {
  endpoint: string;
  set(id: string, value: string): void;
  close(): Promise<void>;
}

export async function startLocalSecretsManager(
  initial: Record<string, string> = {},
  opts: { accessKeyId?: string } = {},
): Promise<LocalSecretsManager> {
  const secrets = new Map(Object.entries(initial));
  const server = createServer((req, res) => {
    void answer(req, res, secrets, opts.accessKeyId);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (id, value) => void secrets.set(id, value),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  secrets: Map<string, string>,
  accessKeyId: string | undefined,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const reply = (status: number, body: object): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  };
  if (accessKeyId !== undefined && !signedWith(req.headers.authorization, accessKeyId)) {
    return reply(400, {
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  }
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

/** SigV4's `Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/…` names the key id. */
function signedWith(authorization: string | undefined, accessKeyId: string): boolean {
  return authorization !== undefined && authorization.includes(` Credential=${accessKeyId}/`);
}
