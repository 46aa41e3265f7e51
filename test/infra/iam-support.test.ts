import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startRecordingProxy, type AwsCall } from '../support/aws-call-recorder';
import { decide, principalOfRole, principalWithPolicy, resourcePoliciesOf } from '../support/iam-evaluation';
import { iamRequestsOf, type AwsNaming, type IamRequest } from '../support/iam-requests';
import { fauxqsEndpoint, sqsClient, startDynalite } from '../support/local-aws';
import { deployLocally } from '../support/local-deployment';
import { readmeOperatorPolicy } from '../support/operator-policy';
import { startReceiver } from '../support/receiver';
import { TemplateStandIns } from '../support/template-stand-ins';
import type { CfnTemplate } from './support';

/** The IAM test's own parts (test/support/iam-*.ts and friends), on small inputs whose answers are known. */

const naming: AwsNaming = { region: 'us-east-1', account: '111122223333', partitionKeyOf: () => 'pk' };
const TABLE = 'arn:aws:dynamodb:us-east-1:111122223333:table/state';
const call = (service: string, operation: string, input: Record<string, unknown>): AwsCall => ({
  service,
  operation,
  caller: 'AKID',
  input,
});
const requests = (service: string, operation: string, input: Record<string, unknown>): IamRequest[] =>
  iamRequestsOf(call(service, operation, input), naming);
const keys = (...values: string[]): Record<string, string | string[]> => ({
  'aws:SecureTransport': 'true',
  'dynamodb:LeadingKeys': values,
});

describe('iamRequestsOf: what IAM authorizes for a recorded call', () => {
  it('a DynamoDB item call: the table ARN and its partition key as dynamodb:LeadingKeys', () => {
    expect(requests('dynamodb', 'GetItem', { TableName: 'state', Key: { pk: { S: 'source#1' } } })).toEqual([
      { action: 'dynamodb:GetItem', resource: TABLE, context: keys('source#1') },
    ]);
    expect(requests('dynamodb', 'PutItem', { TableName: 'state', Item: { pk: { S: 'delivery#1#crm' }, n: { N: '1' } } })).toEqual(
      [{ action: 'dynamodb:PutItem', resource: TABLE, context: keys('delivery#1#crm') }],
    );
  });

  it('a transaction item by item, as each single-item action; a batch write with every key it touches', () => {
    const transact = requests('dynamodb', 'TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'state', Item: { pk: { S: 'a' } } } },
        { ConditionCheck: { TableName: 'state', Key: { pk: { S: 'b' } } } },
      ],
    });
    expect(transact.map((r) => [r.action, r.context['dynamodb:LeadingKeys']])).toEqual([
      ['dynamodb:PutItem', ['a']],
      ['dynamodb:ConditionCheckItem', ['b']],
    ]);
    const batch = requests('dynamodb', 'BatchWriteItem', {
      RequestItems: { state: [{ PutRequest: { Item: { pk: { S: 'a' } } } }, { DeleteRequest: { Key: { pk: { S: 'b' } } } }] },
    });
    expect(batch).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: TABLE, context: keys('a', 'b') }]);
  });

  it('a Query by the value its key condition names; a Scan with no key at all', () => {
    const query = requests('dynamodb', 'Query', {
      TableName: 'state',
      KeyConditionExpression: '#k = :v',
      ExpressionAttributeNames: { '#k': 'pk' },
      ExpressionAttributeValues: { ':v': { S: 'endpoint#crm' } },
    });
    expect(query[0]!.context).toEqual(keys('endpoint#crm'));
    expect(requests('dynamodb', 'Scan', { TableName: 'state' })[0]!.context).toEqual({ 'aws:SecureTransport': 'true' });
  });

  it('SQS batch calls as their single-message action, on the queue the URL names (local URLs too)', () => {
    const url = 'http://sqs.us-east-1.127.0.0.1:4566/000000000000/leads';
    expect(requests('sqs', 'SendMessageBatch', { QueueUrl: url }).map((r) => [r.action, r.resource])).toEqual([
      ['sqs:SendMessage', 'arn:aws:sqs:us-east-1:111122223333:leads'],
    ]);
    expect(requests('sqs', 'ChangeMessageVisibilityBatch', { QueueUrl: url })[0]!.action).toBe('sqs:ChangeMessageVisibility');
  });

  it('a message move task reads and deletes on the source and sends to the destination', () => {
    const moved = requests('sqs', 'StartMessageMoveTask', {
      SourceArn: 'arn:aws:sqs:r:1:dlq',
      DestinationArn: 'arn:aws:sqs:r:1:leads',
    });
    expect(moved.map((r) => `${r.action} ${r.resource}`)).toEqual([
      'sqs:StartMessageMoveTask arn:aws:sqs:r:1:dlq',
      'sqs:ReceiveMessage arn:aws:sqs:r:1:dlq',
      'sqs:DeleteMessage arn:aws:sqs:r:1:dlq',
      'sqs:GetQueueAttributes arn:aws:sqs:r:1:dlq',
      'sqs:SendMessage arn:aws:sqs:r:1:leads',
    ]);
  });

  it('a stack by name as its ARN', () => {
    expect(requests('cloudformation', 'DescribeStacks', { StackName: 's' })[0]!.resource).toBe(
      'arn:aws:cloudformation:us-east-1:111122223333:stack/s/local',
    );
  });

  it.each([
    ['an unknown service', call('lambda', 'Invoke', {}), 'no IAM mapping for service lambda'],
    ['an SQS call without a queue', call('sqs', 'ReceiveMessage', {}), 'sqs ReceiveMessage names no QueueUrl'],
    ['a secret by name', call('secretsmanager', 'GetSecretValue', { SecretId: 'name' }), 'SecretId is not an ARN'],
    ['an item call without its key', call('dynamodb', 'GetItem', { TableName: 'state', Key: {} }), 'no partition key value'],
    [
      'a Query whose key condition is not found',
      call('dynamodb', 'Query', { TableName: 'state', KeyConditionExpression: 'other = :v' }),
      'no partition key condition',
    ],
    [
      'an unknown transaction item',
      call('dynamodb', 'TransactWriteItems', { TransactItems: [{ Upsert: { TableName: 'state' } }] }),
      'unknown item kind Upsert',
    ],
    ['a DynamoDB call naming no table', call('dynamodb', 'DescribeTable', {}), 'names no TableName'],
  ])('refuses %s rather than guess', (_what, recorded, message) => {
    expect(() => iamRequestsOf(recorded, naming)).toThrow(message);
  });
});

const template = (resources: CfnTemplate['Resources'], conditions: CfnTemplate['Conditions'] = {}): CfnTemplate => ({
  Parameters: { Key: { Type: 'String', Default: '' } },
  Conditions: conditions,
  Resources: resources,
  Outputs: {},
});
const standInsOf = (json: CfnTemplate, parameters: Record<string, string> = {}, overrides: Record<string, string> = {}) =>
  new TemplateStandIns(json, { stackName: 's', region: 'us-east-1', account: '111122223333', parameters, overrides });

describe('TemplateStandIns: the template as deployed, with stand-ins for its resources', () => {
  const json = template({
    Queue: { Type: 'AWS::SQS::Queue' },
    Table: { Type: 'AWS::DynamoDB::Table' },
    Topic: { Type: 'AWS::SNS::Topic' },
  });

  it('Ref and attributes as AWS gives them for each type; an override wins', () => {
    const standIns = standInsOf(json, {}, { Queue: 'http://local/000/q' });
    expect(standIns.resolve({ Ref: 'Queue' })).toBe('http://local/000/q');
    expect(standIns.resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:us-east-1:111122223333:s-Queue');
    expect(standIns.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('arn:aws:dynamodb:us-east-1:111122223333:table/s-Table');
    expect(standIns.resolve({ Ref: 'Topic' })).toBe('arn:aws:sns:us-east-1:111122223333:s-Topic');
  });

  it('Fn::Sub: pseudo parameters, Refs, attributes, its own variables and ${!literal}', () => {
    const value = {
      'Fn::Sub': [
        'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}|${Queue.QueueName}|${x}|${!Literal}',
        { x: { Ref: 'Key' } },
      ],
    };
    expect(standInsOf(json, { Key: 'k' }).resolve(value)).toBe(
      'arn:aws:dynamodb:us-east-1:111122223333:table/s-Table|s-Queue|k|${Literal}',
    );
  });

  it('AWS::NoValue leaves the property or list item out', () => {
    const json2 = template({}, { On: { 'Fn::Equals': [{ Ref: 'Key' }, 'on'] } });
    const value = { Resource: ['a', { 'Fn::If': ['On', 'b', { Ref: 'AWS::NoValue' }] }], Sid: { Ref: 'AWS::NoValue' } };
    expect(standInsOf(json2).resolve(value)).toEqual({ Resource: ['a'] });
    expect(standInsOf(json2, { Key: 'on' }).resolve(value)).toEqual({ Resource: ['a', 'b'] });
  });

  it('names a resource the template does not have', () => {
    expect(() => standInsOf(json).resolve({ Ref: 'Missing' })).toThrow('the template has no resource Missing');
  });
});

describe('decide and the template policies: IAM decisions by the simulator', () => {
  const statement = (extra: Record<string, unknown>): Record<string, unknown> => ({
    Effect: 'Allow',
    Action: ['dynamodb:GetItem'],
    Resource: { 'Fn::GetAtt': ['Table', 'Arn'] },
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['source#*'] } },
    ...extra,
  });
  const json = template(
    {
      Table: { Type: 'AWS::DynamoDB::Table' },
      Queue: { Type: 'AWS::SQS::Queue' },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Version: '2012-10-17', Statement: [statement({})] } },
      },
      SendPolicy: {
        Type: 'AWS::IAM::Policy',
        Condition: 'On',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } }],
          },
        },
      },
      QueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 'sqs:*',
                Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          },
        },
      },
    },
    { On: { 'Fn::Equals': [{ Ref: 'Key' }, 'on'] } },
  );
  const table = 'arn:aws:dynamodb:us-east-1:111122223333:table/s-Table';
  const queue = 'arn:aws:sqs:us-east-1:111122223333:s-Queue';
  const get = (key: string): IamRequest => ({
    action: 'dynamodb:GetItem',
    resource: table,
    context: { 'dynamodb:LeadingKeys': [key] },
  });

  it('allows an item whose key the condition admits, and no other', async () => {
    const role = principalOfRole('fn', standInsOf(json), 'Role');
    expect((await decide(role, get('source#1'))).decision).toBe('Allowed');
    expect((await decide(role, get('delivery#1'))).decision).toBe('ImplicitlyDenied');
  });

  it('leaves out a policy whose condition is false', async () => {
    const send: IamRequest = { action: 'sqs:SendMessage', resource: queue, context: { 'aws:SecureTransport': 'true' } };
    expect((await decide(principalOfRole('fn', standInsOf(json), 'Role'), send)).decision).toBe('ImplicitlyDenied');
    expect((await decide(principalOfRole('fn', standInsOf(json, { Key: 'on' }), 'Role'), send)).decision).toBe('Allowed');
  });

  it("applies the queue's resource policy: a request without TLS is explicitly denied", async () => {
    const standIns = standInsOf(json, { Key: 'on' });
    const role = principalOfRole('fn', standIns, 'Role');
    const send = (tls: string): IamRequest => ({
      action: 'sqs:SendMessage',
      resource: queue,
      context: { 'aws:SecureTransport': tls },
    });
    expect((await decide(role, send('false'), resourcePoliciesOf(standIns))).decision).toBe('ExplicitlyDenied');
    expect((await decide(role, send('true'), resourcePoliciesOf(standIns))).decision).toBe('Allowed');
  });

  it('refuses a role with a managed policy it cannot read, a request the simulator finds invalid, and a key that does not apply', async () => {
    const managed = template({
      Role: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/X'] } },
    });
    expect(() => principalOfRole('fn', standInsOf(managed), 'Role')).toThrow('managed policies this test cannot read');
    const role = principalOfRole('fn', standInsOf(json), 'Role');
    await expect(decide(role, { action: 'sqs:SendMessageBatch', resource: queue, context: {} })).rejects.toThrow(
      'cannot simulate',
    );
    await expect(
      decide(role, { action: 'sqs:SendMessage', resource: queue, context: { 'dynamodb:LeadingKeys': ['x'] } }),
    ).rejects.toThrow('do not apply to the action');
  });

  it('a principal with a given policy document', async () => {
    const operator = principalWithPolicy('operator', 'arn:aws:iam::111122223333:user/o', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table }],
    });
    expect((await decide(operator, get('anything'))).decision).toBe('Allowed');
  });
});

describe('readmeOperatorPolicy', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'operator-policy-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const readme = (text: string): string => {
    const file = path.join(dir, `${Math.random()}.md`);
    writeFileSync(file, text);
    return file;
  };
  const policy =
    '```json\n{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "x:Y", "Resource": "<Arn>" }] }\n```\n';

  it("fills in the section's policy", () => {
    const file = readme(`# R\n\n## Other\n\n\`\`\`json\n{}\n\`\`\`\n\n## Operator permissions\n\ntext\n\n${policy}`);
    expect(readmeOperatorPolicy({ Arn: 'arn:a' }, file).Statement).toEqual([
      { Effect: 'Allow', Action: 'x:Y', Resource: 'arn:a' },
    ]);
  });

  it('names a placeholder it has no value for, a missing section and a section without a policy', () => {
    expect(() => readmeOperatorPolicy({}, readme(`\n## Operator permissions\n\n${policy}`))).toThrow('names <Arn>');
    expect(() => readmeOperatorPolicy({}, readme('# R\n'))).toThrow('has no section');
    expect(() => readmeOperatorPolicy({}, readme('\n## Operator permissions\n\nnone\n'))).toThrow('has no json block');
  });
});

describe('startRecordingProxy', () => {
  it('forwards each call untouched and notes its operation, input and signing key id', async () => {
    const upstream = await startReceiver(() => ({ status: 200, body: '{"ok":true}' }));
    const proxy = await startRecordingProxy('sqs', upstream.url);
    const post = (headers: Record<string, string>, body: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(proxy.endpoint, { method: 'POST', headers }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const signed = 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20261202/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x';
      expect(await post({ 'x-amz-target': 'AmazonSQS.SendMessage', authorization: signed }, '{"QueueUrl":"q"}')).toBe(
        '{"ok":true}',
      );
      await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'Action=DescribeStacks&StackName=s');
      expect(proxy.calls).toEqual([
        { service: 'sqs', operation: 'SendMessage', caller: 'AKIDTEST', input: { QueueUrl: 'q' } },
        { service: 'sqs', operation: 'DescribeStacks', caller: '', input: { StackName: 's' } },
      ]);
      expect(upstream.requests.map((r) => r.body)).toEqual(['{"QueueUrl":"q"}', 'Action=DescribeStacks&StackName=s']);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('deployLocally: the template on the local servers', () => {
  it('makes its queues (redrive and FIFO kept), tables and the secrets whose condition holds; outputs likewise', async () => {
    const dynamo = await startDynalite();
    const sqs = sqsClient();
    const json: CfnTemplate = {
      Parameters: { Key: { Type: 'String', Default: '' }, Token: { Type: 'String' } },
      Conditions: { HasKey: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Key' }, ''] }] } },
      Resources: {
        Dlq: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
        Ticks: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            FifoQueue: true,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 },
          },
        },
        Table: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          },
        },
        TokenSecret: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: { Ref: 'Token' } } },
        KeySecret: { Type: 'AWS::SecretsManager::Secret', Condition: 'HasKey', Properties: { SecretString: { Ref: 'Key' } } },
      },
      Outputs: {
        TicksArn: { Value: { 'Fn::GetAtt': ['Ticks', 'Arn'] } },
        KeyArn: { Value: { Ref: 'KeySecret' }, Condition: 'HasKey' },
      },
    };
    const stackName = `deploy-${randomUUID().slice(0, 8)}`;
    const deployment = await deployLocally(json, {
      stackName,
      region: 'us-east-1',
      account: '000000000000',
      parameters: { Token: 'tok' },
      dynamo: dynamo.client,
      sqsEndpoint: fauxqsEndpoint(),
    });
    try {
      const ticksUrl = deployment.standIns.standIn('Ticks');
      expect(ticksUrl).toMatch(new RegExp(`/${stackName}-Ticks\\.fifo$`));
      expect(deployment.outputs).toEqual({ TicksArn: `arn:aws:sqs:us-east-1:000000000000:${stackName}-Ticks.fifo` });
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: ticksUrl, AttributeNames: ['RedrivePolicy', 'FifoQueue'] }),
      );
      expect(Attributes.FifoQueue).toBe('true');
      expect(JSON.parse(Attributes.RedrivePolicy!)).toMatchObject({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${stackName}-Dlq.fifo`,
      });
      const table = await dynamo.client.send(new DescribeTableCommand({ TableName: `${stackName}-Table` }));
      expect(table.Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      expect(deployment.naming.partitionKeyOf(`${stackName}-Table`)).toBe('id');
      expect(() => deployment.naming.partitionKeyOf('other')).toThrow("which is not the stack's");

      const secrets = new SecretsManagerClient({
        endpoint: deployment.secrets.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      try {
        const read = (id: string) => secrets.send(new GetSecretValueCommand({ SecretId: id }));
        expect((await read(deployment.standIns.standIn('TokenSecret'))).SecretString).toBe('tok');
        await expect(read(deployment.standIns.standIn('KeySecret'))).rejects.toThrow("can't find the specified secret");
      } finally {
        secrets.destroy();
      }
    } finally {
      await deployment.close();
      sqs.destroy();
      await dynamo.close();
    }
  });
});
