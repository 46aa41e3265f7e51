import { request } from 'node:http';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecret, SecretUnavailableError } from '../../functions/shared/aws/secrets';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../functions/local/secrets-server';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:lead-forwarder-local/webhooks';
const KEY_ID = 'LOCALA1B2C3D4E5F6A7B8C9D0E1F2';
let server: LocalSecretsManager;

beforeAll(async () => {
  server = await startLocalSecretsManager({ [ARN]: '[{"name":"crm","secret":"whsec_x"}]' }, { accessKeyId: KEY_ID });
});
afterAll(() => server.close());

function client(accessKeyId: string): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'local' }, maxAttempts: 1 });
}

describe('the local Secrets Manager with a per-run access key id', () => {
  it('answers a request signed with that key id', async () => {
    const sm = client(KEY_ID);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: ARN }))).resolves.toMatchObject({ SecretString: '[{"name":"crm","secret":"whsec_x"}]' });
    sm.destroy();
  });

  it('refuses another key id, without the secret in the answer', async () => {
    const sm = client('AKIAOTHERUSER');
    await expect(sm.send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    sm.destroy();
  });

  it('refuses an unsigned request, such as another local user probing the port', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.endpoint}/`, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
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

  it('names the ARN and what Secrets Manager answered for a secret that does not exist', async () => {
    const sm = client(KEY_ID);
    const missing = `${ARN}-gone`;
    const failure = readSecret(sm, missing);
    await expect(failure).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(failure).rejects.toThrow(`could not read secret ${missing}: ResourceNotFoundException: Secrets Manager can't find the specified secret.`);
    sm.destroy();
  });

  it('says why it was refused, without the value', async () => {
    const sm = client('AKIAOTHERUSER');
    const failure = readSecret(sm, ARN);
    await expect(failure).rejects.toThrow(`could not read secret ${ARN}: UnrecognizedClientException`);
    await expect(failure).rejects.not.toThrow('whsec_x');
    sm.destroy();
  });
});
