import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../functions/local/simulators/alimama-gateway';
import { sourceKey } from '../../functions/shared/aws/scan-state';
import { ENV, KEY_PREFIXES } from '../../functions/shared/config/stack-contract';
import { SECRET_PARAMETER_NAMES } from '../../infra/parameters';
import { MAX_RECEIVE_COUNT } from '../../infra/queues';
import { FORWARDER_BATCH_SIZE } from '../../infra/forwarder';
import { runCli, type CliResult } from '../integration/cli/cli-process';
import { startRecordingProxy, type AwsCall, type RecordingProxy } from '../support/aws-call-recorder';
import { buildBundles, startLambda, type Bundles, type LambdaProcess } from '../support/bench-lambda';
import { startLocalCloudFormation, type LocalCloudFormation } from '../support/cloudformation-server';
import {
  decide,
  describeVerdicts,
  principalOfRole,
  principalWithPolicy,
  resourcePoliciesOf,
  type PolicyDocument,
  type Principal,
  type Verdict,
} from '../support/iam-evaluation';
import { iamRequestsOf, type AwsNaming, type IamRequest } from '../support/iam-requests';
import { fauxqsEndpoint, startDynalite, type LocalDynamo } from '../support/local-aws';
import { deployLocally, type LocalDeployment } from '../support/local-deployment';
import { readmeOperatorPolicy } from '../support/operator-policy';
import { startReceiver, type Receiver } from '../support/receiver';
import type { TemplateStandIns } from '../support/template-stand-ins';
import { STACK_NAME, environmentOf, functions, roleOf, synth, type CfnTemplate } from './support';

/**
 * IAM conformance: the deployed bundles run a compact scenario (poll, deliver, retry, park)
 * against the local servers behind recording proxies, and the operator CLI runs its `--stack`
 * commands; every AWS call recorded is then put to an IAM policy simulator
 * (@cloud-copilot/iam-simulate) under the synthesized template's role policies, with the
 * template's references resolved to this test's resources. What the code calls must be
 * allowed; what the stack promises to withhold (DESIGN, README "Least privilege") must not be.
 * The local servers authorize nothing, so a grant missing from the stack shows up here only.
 */

const REGION = 'us-east-1';
/** The account fauxqs puts in its queue ARNs (the stand-ins use the same). */
const ACCOUNT = '000000000000';
/** The synthesized stack's own name: its StackName output is that literal. */
const STACK = STACK_NAME;
const LEAD_COUNT = 12;
const WEBHOOK_SECRET = `whsec_${Buffer.from('iam-test-webhook-signing-key-32b').toString('base64')}`;
const MOBILE_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 });
/** Each process signs with a key id of its own: the recorder attributes each call by it. */
const KEY_IDS = { poller: 'AKIDPOLLER', forwarder: 'AKIDFORWARDER', operator: 'AKIDOPERATOR' } as const;
type Caller = keyof typeof KEY_IDS;

let json: CfnTemplate;
let standIns: TemplateStandIns;
let naming: AwsNaming;
let dynamo: LocalDynamo;
let deployment: LocalDeployment;
let cfn: LocalCloudFormation;
let gateway: SimulatedGateway;
let crm: Receiver;
let flaky: Receiver;
let bundles: Bundles;
let lambdas: Record<'poller' | 'forwarder', LambdaProcess>;
/** Lambda's SQS event source, which works with the forwarder's role. */
let eventSource: SQSClient;
let outputs: Record<string, string>;
let principals: Record<'poller' | 'forwarder', Principal>;
let environments: Record<'poller' | 'forwarder', Record<string, string>>;
const SERVICES = ['dynamodb', 'sqs', 'secretsmanager', 'cloudformation'] as const;
const proxies = {} as Record<(typeof SERVICES)[number], RecordingProxy>;

/** Every call recorded, with who made it. */
function callsBy(caller: Caller): AwsCall[] {
  return Object.values(proxies)
    .flatMap((proxy) => proxy.calls)
    .filter((call) => call.caller === KEY_IDS[caller]);
}

function requestsBy(caller: Caller): IamRequest[] {
  return callsBy(caller).flatMap((call) => iamRequestsOf(call, naming));
}

/** The verdicts on `requests` that are not Allowed. */
async function denied(principal: Principal, requests: readonly IamRequest[]): Promise<Verdict[]> {
  const resourcePolicies = resourcePoliciesOf(standIns);
  const verdicts = await Promise.all(requests.map((request) => decide(principal, request, resourcePolicies)));
  return verdicts.filter((v) => v.decision !== 'Allowed');
}

function actionsOf(requests: readonly IamRequest[]): string[] {
  return [...new Set(requests.map((r) => r.action))].sort();
}

const queueArn = (url: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${url.split('/').at(-1)!}`;
const tableArn = (name: string): string => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const request = (action: string, resource: string, context: IamRequest['context'] = {}): IamRequest => ({
  action,
  resource,
  context: { 'aws:SecureTransport': 'true', ...context },
});

beforeAll(async () => {
  bundles = await buildBundles();
  ({ json } = synth());
  dynamo = await startDynalite();
  const leads = generateLeads(LEAD_COUNT).map((lead) => ({
    ...lead,
    mobile: publicEncrypt(
      { key: MOBILE_KEY.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from('13800138000'),
    ).toString('base64'),
  }));
  gateway = await startSimulatedGateway({ leads });
  crm = await startReceiver();
  flaky = await startReceiver(() => ({ status: 503 }));
  const parameters = {
    TopAppKey: gateway.appKey,
    TopAppSecret: gateway.appSecret,
    TopSessionKey: gateway.sessionKey,
    TopGatewayUrl: gateway.url,
    PageSize: '20',
    StartFrom: 'all',
    Webhooks: JSON.stringify([
      { name: 'crm', url: crm.url, secret: WEBHOOK_SECRET },
      { name: 'flaky', url: flaky.url, secret: WEBHOOK_SECRET },
    ]),
    MobilePrivateKey: MOBILE_KEY.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };

  deployment = await deployLocally(json, {
    stackName: STACK,
    region: REGION,
    account: ACCOUNT,
    parameters,
    dynamo: dynamo.client,
    sqsEndpoint: fauxqsEndpoint(),
  });
  ({ standIns, naming, outputs } = deployment);
  const masked = Object.fromEntries(SECRET_PARAMETER_NAMES.map((name) => [name, '****']));
  const { Webhooks: _w, TopAppSecret: _a, TopSessionKey: _s, MobilePrivateKey: _k, ...plain } = parameters;
  cfn = await startLocalCloudFormation([{ name: STACK, outputs, parameters: { ...plain, ...masked, MobilePrivateKey: '****' } }]);

  const upstreams = {
    dynamodb: dynamo.endpoint,
    sqs: fauxqsEndpoint(),
    secretsmanager: deployment.secrets.endpoint,
    cloudformation: cfn.endpoint,
  };
  for (const service of SERVICES) proxies[service] = await startRecordingProxy(service, upstreams[service]);

  const { poller, forwarder } = functions(json);
  principals = {
    poller: principalOfRole('poller', standIns, roleOf(poller[1])),
    forwarder: principalOfRole('forwarder', standIns, roleOf(forwarder[1])),
  };
  environments = {
    poller: standIns.resolve(environmentOf(poller[1])) as Record<string, string>,
    forwarder: standIns.resolve(environmentOf(forwarder[1])) as Record<string, string>,
  };
  lambdas = {
    poller: startLambda(bundles, bundles.files.poller, { ...awsEnvironment('poller'), ...environments.poller }),
    forwarder: startLambda(bundles, bundles.files.forwarder, { ...awsEnvironment('forwarder'), ...environments.forwarder }),
  };
  await Promise.all([lambdas.poller.loaded, lambdas.forwarder.loaded]);
  eventSource = new SQSClient({
    endpoint: proxies.sqs.endpoint,
    region: REGION,
    credentials: { accessKeyId: KEY_IDS.forwarder, secretAccessKey: 'test' },
    useQueueUrlAsEndpoint: false,
  });
}, 120_000);

afterAll(async () => {
  eventSource?.destroy();
  await Promise.all(Object.values(lambdas ?? {}).map((lambda) => lambda.stop()));
  await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
  await Promise.all([cfn?.close(), deployment?.close(), gateway?.close(), crm?.close(), flaky?.close(), dynamo?.close()]);
  await bundles?.remove();
});

/** Where the SDK finds the recording proxies, and the key id that names the caller. */
function awsEnvironment(caller: Caller): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: KEY_IDS[caller],
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: proxies.dynamodb.endpoint,
    AWS_ENDPOINT_URL_SQS: proxies.sqs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: proxies.secretsmanager.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: proxies.cloudformation.endpoint,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  };
}

/** An SQS message as Lambda's event source hands it to the function; `receiveCount` stands for earlier receives. */
function toRecord(message: Message, receiveCount?: number): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: String(receiveCount ?? attributes.ApproximateReceiveCount ?? '1'),
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: 'AROAFORWARDER',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [
        key,
        { dataType: value.DataType ?? 'String', ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }) },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn(environments.forwarder[ENV.leadsQueueUrl]!),
    awsRegion: REGION,
  };
}

/** What Lambda's event source does before invoking: receive up to `count` messages, with the function's role. */
async function receive(queueUrl: string, count: number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let tries = 0; messages.length < count && tries < 10; tries += 1) {
    const { Messages = [] } = await eventSource.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, count - messages.length),
        VisibilityTimeout: 300,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    messages.push(...Messages);
  }
  return messages;
}

async function verdictsOf(principal: Principal, requests: readonly IamRequest[]): Promise<Verdict[]> {
  const resourcePolicies = resourcePoliciesOf(standIns);
  return Promise.all(requests.map((r) => decide(principal, r, resourcePolicies)));
}

/** The requests of `requests` IAM would allow `principal`, one line each (empty when none). */
async function allowedOf(principal: Principal, requests: readonly IamRequest[]): Promise<string> {
  return describeVerdicts((await verdictsOf(principal, requests)).filter((v) => v.decision === 'Allowed'));
}

/** The secret ARNs a function is given in its environment. */
function secretsOf(fn: 'poller' | 'forwarder'): string[] {
  return Object.values(environments[fn]).filter((value) => value.startsWith('arn:aws:secretsmanager:'));
}

describe('IAM: every AWS call the deployed functions make is allowed by their roles', () => {
  it('the poller: loading the cursor, reading its TOP secrets, enqueueing and saving the cursor', async () => {
    const poll = await lambdas.poller.invoke({});
    expect(poll).toMatchObject({ ok: true, value: { enqueued: LEAD_COUNT, fetched: LEAD_COUNT } });

    const requests = requestsBy('poller');
    expect(actionsOf(requests)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'secretsmanager:GetSecretValue', 'sqs:SendMessage']),
    );
    expect(describeVerdicts(await denied(principals.poller, requests))).toBe('');
  });

  it('the forwarder and its SQS event source: delivering, retrying through visibility, and parking in the DLQ', async () => {
    const leadsUrl = environments.forwarder[ENV.leadsQueueUrl]!;
    // What the event source mapping reads of the queue (Lambda checks it with the function's role).
    await eventSource.send(new GetQueueAttributesCommand({ QueueUrl: leadsUrl, AttributeNames: ['All'] }));
    const batch = await receive(leadsUrl, FORWARDER_BATCH_SIZE);
    expect(batch).toHaveLength(FORWARDER_BATCH_SIZE);

    // crm takes every lead; flaky answers 503, so each record waits for a retry.
    const first = await lambdas.forwarder.invoke({ Records: batch.map((m) => toRecord(m)) });
    expect(first).toMatchObject({ ok: true });
    expect((first as { value: SQSBatchResponse }).value.batchItemFailures).toHaveLength(FORWARDER_BATCH_SIZE);
    expect(crm.requests).toHaveLength(FORWARDER_BATCH_SIZE);
    // On its last receive a lead flaky still refuses is parked in the DLQ, and leaves the queue.
    const last = await lambdas.forwarder.invoke({ Records: [toRecord(batch[0]!, MAX_RECEIVE_COUNT)] });
    expect(last).toMatchObject({ ok: true, value: { batchItemFailures: [] } });
    await eventSource.send(
      new DeleteMessageBatchCommand({ QueueUrl: leadsUrl, Entries: [{ Id: '0', ReceiptHandle: batch[0]!.ReceiptHandle! }] }),
    );
    expect(crm.requests).toHaveLength(FORWARDER_BATCH_SIZE);

    const requests = requestsBy('forwarder');
    expect(actionsOf(requests)).toEqual(
      expect.arrayContaining([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ]),
    );
    // The parking went to the DLQ, the message the stack names as the forwarder's.
    expect(requests).toContainEqual(
      expect.objectContaining({ action: 'sqs:SendMessage', resource: queueArn(environments.forwarder[ENV.dlqUrl]!) }),
    );
    expect(describeVerdicts(await denied(principals.forwarder, requests))).toBe('');
  });
});

describe('IAM: what the stack withholds is denied', () => {
  it('the poller can send leads to the queue but never receive, delete or hide them', async () => {
    const leads = queueArn(environments.poller[ENV.leadsQueueUrl]!);
    expect(await allowedOf(principals.poller, [request('sqs:SendMessage', leads)])).not.toBe('');
    const withheld = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue'];
    expect(
      await allowedOf(
        principals.poller,
        withheld.map((action) => request(action, leads)),
      ),
    ).toBe('');
  });

  it('the forwarder cannot read or write the cursor (a source# item), only its ledger and endpoint items', async () => {
    const table = tableArn(environments.forwarder[ENV.stateTable]!);
    const item = (action: string, key: string): IamRequest => request(action, table, { 'dynamodb:LeadingKeys': [key] });
    const actions = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
    expect(await allowedOf(principals.forwarder, [item('dynamodb:PutItem', `${KEY_PREFIXES.delivery}1#crm`)])).not.toBe('');
    expect(
      await allowedOf(
        principals.forwarder,
        actions.map((action) => item(action, sourceKey(gateway.appKey))),
      ),
    ).toBe('');
    // A batch or transaction naming its own items and a source# one is refused too (ForAllValues).
    expect(
      await allowedOf(principals.forwarder, [
        request('dynamodb:PutItem', table, {
          'dynamodb:LeadingKeys': [`${KEY_PREFIXES.delivery}1#crm`, sourceKey(gateway.appKey)],
        }),
      ]),
    ).toBe('');
  });

  it("neither function can read the other's secrets", async () => {
    const read = (arns: string[]): IamRequest[] => arns.map((arn) => request('secretsmanager:GetSecretValue', arn));
    expect(secretsOf('poller')).not.toHaveLength(0);
    expect(secretsOf('forwarder')).not.toHaveLength(0);
    expect(await allowedOf(principals.poller, read(secretsOf('forwarder')))).toBe('');
    expect(await allowedOf(principals.forwarder, read(secretsOf('poller')))).toBe('');
  });

  it('neither function can Scan or Query the state table (a key condition cannot bound them); only the forwarder batch-writes, and only its own keys', async () => {
    const table = tableArn(environments.poller[ENV.stateTable]!);
    const source = sourceKey(gateway.appKey);
    for (const principal of Object.values(principals)) {
      const own = principal === principals.poller ? source : `${KEY_PREFIXES.delivery}1#crm`;
      expect(
        await allowedOf(principal, [
          request('dynamodb:Scan', table),
          request('dynamodb:Query', table, { 'dynamodb:LeadingKeys': [own] }),
        ]),
      ).toBe('');
    }
    // The ledger groups its delivery records in BatchWriteItem (every key named, so LeadingKeys bounds it).
    expect(
      await allowedOf(principals.poller, [request('dynamodb:BatchWriteItem', table, { 'dynamodb:LeadingKeys': [source] })]),
    ).toBe('');
    expect(
      await allowedOf(principals.forwarder, [
        request('dynamodb:BatchWriteItem', table, { 'dynamodb:LeadingKeys': [`${KEY_PREFIXES.delivery}1#crm`, source] }),
      ]),
    ).toBe('');
  });
});

describe("IAM: the operator CLI's --stack commands, under the README's operator policy", () => {
  let operator: Principal;
  const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--stack', STACK], 45_000, awsEnvironment('operator'));

  beforeAll(() => {
    const policy: PolicyDocument = readmeOperatorPolicy({ Region: REGION, Account: ACCOUNT, ...outputs });
    operator = principalWithPolicy('operator', `arn:aws:iam::${ACCOUNT}:user/operator`, policy);
  });

  it('status, check, send-test-lead, replay and reset-cursor call only what the policy allows', async () => {
    // The read-only commands side by side (each CLI start takes a few seconds).
    const [status, check, testLead] = await Promise.all([
      cli('status', '--json'),
      cli('check'),
      cli('send-test-lead', '--endpoint', 'crm'),
    ]);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({ deadLetters: 1, cursor: gateway.leads[0]!.id });
    expect(check.stdout).toContain(`MobilePrivateKey of stack ${STACK} in ${REGION}: ok`);
    expect(check.code).toBe(0);
    expect(testLead.code).toBe(0);

    // The lead parked for flaky stays where it is for crm (hidden, then shown again)…
    const kept = await cli('replay', '--endpoint', 'crm');
    expect(kept.stdout).toContain('1 parked for other webhooks stay in the dead-letter queue');
    // …SQS's own move task is asked for (fauxqs does not implement it, so here the command
    // fails after the call; the call is what this test judges)…
    const task = await cli('replay');
    expect(task.code).toBe(1);
    // …and the move by hand brings it back.
    const moved = await cli('replay', '--endpoint', 'flaky');
    expect(moved.stdout).toContain('moved 1 lead back to the leads queue');

    const back = await cli('reset-cursor', '--to', gateway.leads[3]!.id, '--yes');
    expect(back.stdout).toContain(`cursor set to ${gateway.leads[3]!.id}`);
    const latest = await cli('reset-cursor', '--to', 'latest', '--yes');
    expect(latest.stdout).toContain(`cursor set to ${gateway.leads[0]!.id}`);

    const requests = requestsBy('operator');
    expect(actionsOf(requests)).toEqual(
      expect.arrayContaining([
        'cloudformation:DescribeStacks',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
        'sqs:StartMessageMoveTask',
      ]),
    );
    expect(describeVerdicts(await denied(operator, requests))).toBe('');
  });

  it('the operator policy writes only the cursor, and reads nothing in bulk', async () => {
    const table = tableArn(outputs.StateTableName!);
    expect(
      await allowedOf(operator, [
        request('dynamodb:PutItem', table, { 'dynamodb:LeadingKeys': [`${KEY_PREFIXES.delivery}1#crm`] }),
        request('dynamodb:UpdateItem', table, { 'dynamodb:LeadingKeys': [`${KEY_PREFIXES.endpoint}crm`] }),
        request('dynamodb:DeleteItem', table, { 'dynamodb:LeadingKeys': [sourceKey(gateway.appKey)] }),
        request('dynamodb:Scan', table),
        request('sqs:ReceiveMessage', outputs.LeadsQueueArn!),
        request('sqs:PurgeQueue', outputs.DeadLetterQueueArn!),
      ]),
    ).toBe('');
  });
});
