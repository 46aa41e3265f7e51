import { CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../functions/local/emulators/secrets-server';
import { props, resourcesOfType, type CfnResource, type CfnTemplate } from '../infra/support';
import type { AwsNaming } from './iam-requests';
import { TemplateStandIns } from './template-stand-ins';

/**
 * A synthesized template "deployed" on the local servers: every queue, table and secret it
 * declares is made there under its stand-in name (template-stand-ins.ts), queues with their
 * redrive policies, tables with their key schema, secrets with the values their SecretString
 * resolves to for `parameters`. Works from whatever the template holds.
 */
export interface LocalDeployment {
  standIns: TemplateStandIns;
  /** How ARNs are formed for this deployment's calls (iam-requests.ts). */
  naming: AwsNaming;
  /** The stack's outputs, those under a false condition left out, as DescribeStacks shows them. */
  outputs: Record<string, string>;
  secrets: LocalSecretsManager;
  close(): Promise<void>;
}

export interface LocalDeploymentOptions {
  stackName: string;
  region: string;
  /** The local SQS's account (fauxqs: 000000000000), so that its queue ARNs are the stand-ins'. */
  account: string;
  /** Every parameter value, the secret ones included (they become the secrets' values). */
  parameters: Record<string, string>;
  dynamo: DynamoDBClient;
  sqsEndpoint: string;
}

export async function deployLocally(json: CfnTemplate, options: LocalDeploymentOptions): Promise<LocalDeployment> {
  const { stackName, region, account, parameters } = options;
  // What the local SQS gives each queue, filled in as the queues are made.
  const overrides: Record<string, string> = {};
  const standIns = new TemplateStandIns(json, { stackName, region, account, parameters, overrides });
  await createQueues(json, standIns, overrides, options);

  const partitionKeys = new Map<string, string>();
  for (const [id, table] of resourcesOfType(json, 'AWS::DynamoDB::Table')) {
    const spec = standIns.resolve(props(table)) as Pick<CreateTableCommandInput, 'KeySchema' | 'AttributeDefinitions'>;
    const name = standIns.standIn(id);
    await options.dynamo.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: spec.KeySchema,
        AttributeDefinitions: spec.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    partitionKeys.set(name, spec.KeySchema!.find((key) => key.KeyType === 'HASH')!.AttributeName!);
  }

  const secretValues: Record<string, string> = {};
  for (const [id, secret] of resourcesOfType(json, 'AWS::SecretsManager::Secret')) {
    if (secret.Condition !== undefined && !standIns.condition(secret.Condition)) continue;
    secretValues[standIns.standIn(id)] = String(standIns.resolve(props(secret).SecretString));
  }
  const secrets = await startLocalSecretsManager(secretValues);

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(json.Outputs)) {
    if (output.Condition === undefined || standIns.condition(output.Condition))
      outputs[key] = String(standIns.resolve(output.Value));
  }
  return {
    standIns,
    naming: {
      region,
      account,
      partitionKeyOf: (table) => {
        const key = partitionKeys.get(table);
        if (key === undefined) throw new Error(`a call names table ${table}, which is not the stack's`);
        return key;
      },
    },
    outputs,
    secrets,
    close: () => secrets.close(),
  };
}

/**
 * The template's queues on the local SQS, dead-letter queues first (a redrive policy names its
 * DLQ's ARN); `overrides` gets each one's URL, and for a FIFO queue its `.fifo` name and ARN.
 */
async function createQueues(
  json: CfnTemplate,
  standIns: TemplateStandIns,
  overrides: Record<string, string>,
  options: LocalDeploymentOptions,
): Promise<void> {
  const sqs = new SQSClient({
    endpoint: options.sqsEndpoint,
    region: options.region,
    credentials: { accessKeyId: 'local-deployment', secretAccessKey: 'test' },
  });
  const redriven = (resource: CfnResource): number => Number(props(resource).RedrivePolicy !== undefined);
  const queues = resourcesOfType(json, 'AWS::SQS::Queue').sort(([, a], [, b]) => redriven(a) - redriven(b));
  try {
    for (const [id, queue] of queues) {
      const { RedrivePolicy: redrive, FifoQueue: fifo } = standIns.resolve(props(queue)) as Record<string, unknown>;
      const name = `${standIns.nameOf(id)}${fifo === true || fifo === 'true' ? '.fifo' : ''}`;
      const attributes: Record<string, string> = {};
      if (name.endsWith('.fifo')) attributes.FifoQueue = 'true';
      if (redrive !== undefined) attributes.RedrivePolicy = JSON.stringify(redrive);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      Object.assign(overrides, {
        [id]: QueueUrl!,
        [`${id}.QueueUrl`]: QueueUrl!,
        [`${id}.QueueName`]: name,
        [`${id}.Arn`]: `arn:aws:sqs:${options.region}:${options.account}:${name}`,
      });
    }
  } finally {
    sqs.destroy();
  }
}
