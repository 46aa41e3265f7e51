import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The SDK clients, configured from the environment (region, credentials, and the
 * AWS_ENDPOINT_URL_* variables the local runner sets). Local SQS servers hand out queue URLs
 * whose host does not resolve, so with an endpoint override the queue URL is not the endpoint.
 */
export function createClients(env: Record<string, string | undefined> = process.env): { ddb: DynamoDBClient; sqs: SQSClient; secrets: SecretsManagerClient } {
  return {
    ddb: new DynamoDBClient({}),
    sqs: new SQSClient({ useQueueUrlAsEndpoint: queueUrlIsEndpoint(env) }),
    secrets: new SecretsManagerClient({}),
  };
}

/** Whether SQS calls go to the queue URL's host: not behind an endpoint override (see above). */
export function queueUrlIsEndpoint(env: Record<string, string | undefined> = process.env): boolean {
  return env.AWS_ENDPOINT_URL_SQS === undefined;
}
