import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the one CloudFormation call the operator CLI makes with `--stack`
 * (DescribeStacks), speaking the AWS query protocol the SDK uses for CloudFormation: a
 * form-encoded request, an XML answer. The SDK finds it through AWS_ENDPOINT_URL_CLOUDFORMATION.
 */
export interface SimulatedStack {
  name: string;
  outputs: Record<string, string>;
  /** As DescribeStacks shows them: NoEcho values come back masked. */
  parameters: Record<string, string>;
}

export interface LocalCloudFormation {
  endpoint: string;
  /** The DescribeStacks requests seen, by StackName, and whether each was SigV4-signed. */
  requests: { stackName: string; signed: boolean }[];
  close(): Promise<void>;
}

export async function startLocalCloudFormation(stacks: SimulatedStack[]): Promise<LocalCloudFormation> {
  const requests: LocalCloudFormation['requests'] = [];
  const server = createServer((req, res) => {
    void answer(req, res, stacks, requests);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  stacks: SimulatedStack[],
  requests: LocalCloudFormation['requests'],
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const reply = (status: number, xml: string): void => {
    res.writeHead(status, { 'content-type': 'text/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
  };
  const error = (status: number, code: string, message: string): void =>
    reply(
      status,
      `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
    );
  if (form.get('Action') !== 'DescribeStacks')
    return error(400, 'InvalidAction', `not simulated: ${form.get('Action') ?? '(no action)'}`);
  const stackName = form.get('StackName') ?? '';
  requests.push({ stackName, signed: /^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '') });
  const stack = stacks.find((s) => s.name === stackName);
  if (stack === undefined) return error(400, 'ValidationError', `Stack with id ${stackName} does not exist`);
  const members = (entries: Record<string, string>, key: string, value: string): string =>
    Object.entries(entries)
      .map(([k, v]) => `<member><${key}>${escape(k)}</${key}><${value}>${escape(v)}</${value}></member>`)
      .join('');
  reply(
    200,
    `<DescribeStacksResponse xmlns="${NS}"><DescribeStacksResult><Stacks><member>` +
      `<StackName>${escape(stack.name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${escape(stack.name)}/local</StackId>` +
      `<CreationTime>2026-11-29T00:00:00.000Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>` +
      `<Parameters>${members(stack.parameters, 'ParameterKey', 'ParameterValue')}</Parameters>` +
      `<Outputs>${members(stack.outputs, 'OutputKey', 'OutputValue')}</Outputs>` +
      `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></DescribeStacksResponse>`,
  );
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
