import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { OperatorError } from '../errors';
import { queueUrlIsEndpoint } from '../../shared/aws/clients';
import { readSecret } from '../../shared/aws/secrets';
import { parseForwarderSettings, parseJsonSetting, parsePollerSettings } from '../../shared/config/parse-settings';
import type { Endpoint, TopSettings } from '../../shared/domain/settings';
import { describeStack, MOBILE_KEY_OUTPUT, type StackDescription } from './stack-description';
import type { Stores, Target } from './target';

/**
 * A deployed stack, found by name through its CloudFormation outputs. The operator's own AWS
 * credentials are used (AWS_PROFILE etc.); the functions' grants do not apply to them.
 */
export interface AwsTarget extends Target {
  /** The MobilePrivateKey secret's value, or undefined when the stack has no key set. */
  mobilePrivateKey(): Promise<string | undefined>;
}

export async function awsTarget(name: string, region: string | undefined): Promise<AwsTarget> {
  const config = region === undefined ? {} : { region };
  const cfn = new CloudFormationClient(config);
  const resolvedRegion =
    region ??
    (await cfn.config.region().catch((error: unknown) => {
      throw new OperatorError('no AWS region: pass --region REGION or set AWS_REGION', { cause: error });
    }));
  let stack: StackDescription;
  try {
    stack = await describeStack(cfn, name, resolvedRegion);
  } finally {
    cfn.destroy();
  }
  const secrets = () => new SecretsManagerClient(config);
  const withSecrets = async <T>(use: (client: SecretsManagerClient) => Promise<T>): Promise<T> => {
    const client = secrets();
    try {
      return await use(client);
    } finally {
      client.destroy();
    }
  };
  const endpoints = (): Promise<Endpoint[]> =>
    withSecrets(
      async (client) =>
        parseForwarderSettings({
          webhooks: parseJsonSetting('Webhooks', await readSecret(client, stack.outputs.WebhooksSecretArn)),
        }).webhooks,
    );
  return {
    kind: 'aws',
    description: `stack ${name} in ${resolvedRegion}`,
    forwarding: 'the forwarder Lambda picks them up within seconds',
    open: (): Promise<Stores> => {
      const ddb = new DynamoDBClient(config);
      const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: queueUrlIsEndpoint() });
      return Promise.resolve({
        ddb,
        sqs,
        table: stack.outputs.StateTableName,
        leads: { url: stack.outputs.LeadsQueueUrl, arn: stack.outputs.LeadsQueueArn },
        deadLetters: { url: stack.outputs.DeadLetterQueueUrl, arn: stack.outputs.DeadLetterQueueArn },
        close: () => {
          ddb.destroy();
          sqs.destroy();
          return Promise.resolve();
        },
      });
    },
    appKey: () => Promise.resolve(stack.outputs.TopAppKey),
    mobilePrivateKey: () => {
      const arn = stack.allOutputs[MOBILE_KEY_OUTPUT];
      return arn === undefined ? Promise.resolve(undefined) : withSecrets((client) => readSecret(client, arn));
    },
    endpoints,
    endpointNames: async () => (await endpoints()).map((endpoint) => endpoint.name),
    top: (): Promise<TopSettings> =>
      withSecrets(async (client) => {
        const [appSecret, sessionKey] = await Promise.all(
          [stack.outputs.TopAppSecretArn, stack.outputs.TopSessionKeyArn].map((arn) => readSecret(client, arn)),
        );
        const { TopGatewayUrl, TopSignMethod, PageSize } = stack.parameters;
        return parsePollerSettings({
          top: {
            appKey: stack.outputs.TopAppKey,
            appSecret,
            sessionKey,
            gatewayUrl: TopGatewayUrl,
            signMethod: TopSignMethod,
            pageSize: PageSize,
          },
        }).top;
      }),
  };
}
