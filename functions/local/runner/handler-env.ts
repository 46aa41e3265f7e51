import { ENV } from '../../shared/config/lambda-env';
import { OBSERVABILITY_ENV } from '../../shared/observability/observability';
import type { Settings, StartFrom } from '../../shared/domain/settings';
import { LOCAL_CREDENTIALS } from '../emulators/aws-clients';
import { LEADS_RETENTION_SECONDS, LOCAL_REGION } from './resources';
import type { LocalQueues } from '../emulators/sqs-server';

/** Made-up ARNs under which the local Secrets Manager holds the secret settings. */
const SECRET_ARN_PREFIX = `arn:aws:secretsmanager:${LOCAL_REGION}:000000000000:secret:lead-forwarder-local/`;
export const LOCAL_SECRET_ARNS = {
  topAppSecret: `${SECRET_ARN_PREFIX}top-app-secret`,
  topSessionKey: `${SECRET_ARN_PREFIX}top-session-key`,
  webhooks: `${SECRET_ARN_PREFIX}webhooks`,
  mobilePrivateKey: `${SECRET_ARN_PREFIX}mobile-private-key`,
} as const;

export interface HandlerWiringInput {
  settings: Settings;
  /** The `webhooks` value of the configuration as given: the forwarder parses it itself, as from the stack's secret. */
  webhooks: unknown;
  endpoints: { dynamo: string; sqs: string; secretsManager: string };
  table: string;
  queues: LocalQueues;
  maxReceiveCount: number;
  /** The handlers' access key id: the local Secrets Manager answers only requests signed with it. */
  accessKeyId?: string;
}

export interface HandlerWiring {
  /** Environment variables the handlers read at module load (lambda-env.ts), plus the SDK's. */
  env: Record<string, string>;
  /** Secret values by ARN, for the local Secrets Manager. */
  secrets: Record<string, string>;
}

/**
 * What the stack gives the two functions, built for the local servers: the same variable names
 * (functions/shared/config/lambda-env.ts), ARNs instead of secret values, and the SDK's endpoint
 * overrides. Metrics are off (Powertools would print EMF to stdout).
 */
export function handlerWiring(input: HandlerWiringInput): HandlerWiring {
  const { settings, queues } = input;
  const env: Record<string, string> = {
    [ENV.stateTable]: input.table,
    [ENV.leadsQueueUrl]: queues.leads.url,
    [ENV.dlqUrl]: queues.deadLetters.url,
    [ENV.maxReceiveCount]: String(input.maxReceiveCount),
    [ENV.leadsRetentionSeconds]: String(LEADS_RETENTION_SECONDS),
    [ENV.topAppKey]: settings.top.appKey,
    [ENV.topGatewayUrl]: settings.top.gatewayUrl,
    [ENV.topSignMethod]: settings.top.signMethod,
    [ENV.pageSize]: String(settings.top.pageSize),
    [ENV.startFrom]: startFromText(settings.startFrom),
    [ENV.pollIntervalSeconds]: String(settings.pollIntervalSeconds),
    [ENV.topAppSecretArn]: LOCAL_SECRET_ARNS.topAppSecret,
    [ENV.topSessionKeyArn]: LOCAL_SECRET_ARNS.topSessionKey,
    [ENV.webhooksSecretArn]: LOCAL_SECRET_ARNS.webhooks,
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamo,
    AWS_ENDPOINT_URL_SQS: input.endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: input.endpoints.secretsManager,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: input.accessKeyId ?? LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // What Lambda sets on a container started for an invocation: Powertools then marks each
    // handler's first invocation `cold_start: true` in its log lines.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // All four set: the runner copies these into its own environment, where a shell's would leak in.
    [OBSERVABILITY_ENV.service]: 'lead-forwarder-local',
    [OBSERVABILITY_ENV.namespace]: 'LeadForwarderLocal',
    [OBSERVABILITY_ENV.metricsDisabled]: 'true',
    [OBSERVABILITY_ENV.logLevel]: 'INFO',
  };
  const secrets: Record<string, string> = {
    [LOCAL_SECRET_ARNS.topAppSecret]: settings.top.appSecret,
    [LOCAL_SECRET_ARNS.topSessionKey]: settings.top.sessionKey,
    [LOCAL_SECRET_ARNS.webhooks]: JSON.stringify(input.webhooks),
  };
  if (settings.mobilePrivateKey !== undefined) {
    env[ENV.mobilePrivateKeySecretArn] = LOCAL_SECRET_ARNS.mobilePrivateKey;
    secrets[LOCAL_SECRET_ARNS.mobilePrivateKey] = settings.mobilePrivateKey;
  }
  return { env, secrets };
}

export function startFromText(startFrom: StartFrom): string {
  return startFrom.kind === 'id' ? startFrom.id : startFrom.kind;
}
