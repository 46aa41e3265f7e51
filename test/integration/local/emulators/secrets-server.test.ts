import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecret, SecretUnavailableError } from '../../../../functions/shared/aws/secrets';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../../../functions/local/emulators/secrets-server';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:lead-forwarder-local/webhooks';
const KEY_ID = 'LOCALA1B2C3D4E5F6A7B8C9D0E1F2';
let server: LocalSecretsManager;

beforeAll(async () => {
  server = await startLocalSecretsManager({ [ARN]: '[{"name":"crm","secret":"whsec_x"}]' }, { accessKeyId: KEY_ID });
});
afterAll(() => server.close());

function client(accessKeyId: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

describe('the local Secrets Manager with a per-run access key id', () => {
  it('answers a request signed with that key id', async () => {
    const sm = client(KEY_ID);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: ARN }))).resolves.toMatchObject({
      SecretString: '[{"name":"crm","secret":"whsec_x"}]',
    });
    sm.destroy();
  });

  it('refuses another key id, without the secret in the answer', async () => {
    const sm = client('AKIAOTHERUSER');
    await expect(sm.send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    sm.destroy();
  });

  it('refuses an unsigned request, such as another local user probing the port', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${server.endpoint}/`,
        {
          method: 'POST',
          headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
        },
        (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (chunk: string) => (text += chunk))
            .on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ SecretId: ARN }));
    });
    expect(status).toBe(400);
    expect(body).toContain('UnrecognizedClientException');
    expect(body).not.toContain('whsec_x');
  });
});

describe('readSecret', () => {
  it('returns the secret string', async () => {
    const sm = client(KEY_ID);
    await expect(readSecret(sm, ARN)).resolves.toBe('[{"name":"crm","secret":"whsec_x"}]');
    sm.destroy();
  });

  it('reads one line of a secret that holds several (<arn>#<line>), with one request for reads made together', async () => {
    const both = `${ARN}-credentials`;
    server.set(both, 'app-secret-x\nsession-key-y');
    const sm = client(KEY_ID);
    let requests = 0;
    sm.middlewareStack.add(
      (next) => (args) => {
        requests += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    await expect(Promise.all([readSecret(sm, `${both}#0`), readSecret(sm, `${both}#1`)])).resolves.toEqual([
      'app-secret-x',
      'session-key-y',
    ]);
    expect(requests).toBe(1);
    // Read again later: a new request (nothing is cached here; the handlers cache for SECRET_CACHE_MS).
    await expect(readSecret(sm, `${both}#1`)).resolves.toBe('session-key-y');
    expect(requests).toBe(2);
    for (const bad of ['#2', '#x', '#'])
      await expect(readSecret(sm, `${both}${bad}`)).rejects.toThrow(`secret ${both} has no value at line ${bad.slice(1)}`);
    await expect(readSecret(sm, `${both}#1`)).resolves.not.toContain('app-secret-x');
    sm.destroy();
  });

  it('names the ARN and what Secrets Manager answered for a secret that does not exist', async () => {
    const sm = client(KEY_ID);
    const missing = `${ARN}-gone`;
    const failure = readSecret(sm, missing);
    await expect(failure).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(failure).rejects.toThrow(
      `could not read secret ${missing}: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    );
    sm.destroy();
  });

  it('says why it was refused', async () => {
    const sm = client('AKIAOTHERUSER');
    await expect(readSecret(sm, ARN)).rejects.toThrow(`could not read secret ${ARN}: UnrecognizedClientException`);
    sm.destroy();
  });

  it('names an answer it could not parse without quoting it: the body holds the secret', async () => {
    const value = 'whsec_ThisValueMustNeverReachALogLine0123';
    // A 200 that is not JSON where the value starts (a faulty proxy or emulator): V8's message
    // for it quotes the text around the fault.
    const broken = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(`{"ARN":"${ARN}","SecretString":${value}}`),
    );
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const { port } = broken.address() as AddressInfo;
    const sm = new SecretsManagerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: KEY_ID, secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const failure = readSecret(sm, ARN);
      await expect(failure).rejects.toBeInstanceOf(SecretUnavailableError);
      const message = await failure.catch((error: unknown) => (error instanceof Error ? error.message : ''));
      expect(message).toBe(`could not read secret ${ARN}: SyntaxError`);
      expect(message).not.toContain(value.slice(0, 8));
    } finally {
      sm.destroy();
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});
