import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A recording HTTP proxy in front of one local AWS stand-in (dynalite, fauxqs, the local Secrets
 * Manager or CloudFormation): it forwards every request untouched and notes which call it was,
 * by whom, with which input. Who is the access key id the request was signed with (SigV4's
 * `Credential=<key id>/…`): give each process under test a key id of its own, and each call is
 * attributed to the role that process stands for.
 */
export interface AwsCall {
  /** The IAM service prefix the proxy stands in for: `dynamodb`, `sqs`, `secretsmanager`, `cloudformation`. */
  service: string;
  /** The API operation: `GetItem`, `SendMessageBatch`, `DescribeStacks`… */
  operation: string;
  /** The access key id the request was signed with ('' when unsigned). */
  caller: string;
  /** The request's parameters: the JSON body (JSON protocols) or the form fields (query protocol). */
  input: Record<string, unknown>;
}

export interface RecordingProxy {
  endpoint: string;
  readonly calls: readonly AwsCall[];
  close(): Promise<void>;
}

export async function startRecordingProxy(service: string, upstream: string): Promise<RecordingProxy> {
  const to = new URL(upstream);
  const calls: AwsCall[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      calls.push({ service, ...parseCall(req, body) });
      const forward = httpRequest(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
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
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The operation and its input, as the SDK sends them: JSON protocols name the operation in
 * `X-Amz-Target` (`DynamoDB_20120810.GetItem`, `AmazonSQS.SendMessage`,
 * `secretsmanager.GetSecretValue`); the query protocol (CloudFormation) in the form's `Action`.
 */
function parseCall(req: IncomingMessage, body: string): Omit<AwsCall, 'service'> {
  const caller = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const input = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    return { caller, operation: target.slice(target.lastIndexOf('.') + 1), input };
  }
  const form = Object.fromEntries(new URLSearchParams(body));
  const { Action: operation = '', ...input } = form;
  return { caller, operation, input };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
