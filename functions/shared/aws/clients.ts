import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Attempts per DynamoDB call, the first included (this SDK's own default is 4). The SDK spaces
 * them itself (full jitter, doubling from 25 ms, or from 1 s after a throttling error), so a
 * throttled ledger write is retried here and nowhere else: throttled six times, a call waits
 * at most ~31 s in all, inside a batch's budget. A write that still fails is reported with the
 * delivery's outcome, never thrown (forward.ts), so it cannot fail the batch.
 */
export const DYNAMODB_MAX_ATTEMPTS = 6;

/** A DynamoDB client with the retries above; `config` adds to the environment's (an endpoint, in tests). */
export function createDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: DYNAMODB_MAX_ATTEMPTS, ...config });
}

/**
 * The SDK clients, configured from the environment (region, credentials, and the
 * AWS_ENDPOINT_URL_* variables the local runner sets). Local SQS servers hand out queue URLs
 * whose host does not resolve, so with an endpoint override the queue URL is not the endpoint.
 */
export function createClients(env: Record<string, string | undefined> = process.env): {
  ddb: DynamoDBClient;
  sqs: SQSClient;
  secrets: SecretsManagerClient;
} {
  return {
    ddb: createDynamoClient(),
    sqs: new SQSClient({ useQueueUrlAsEndpoint: queueUrlIsEndpoint(env) }),
    secrets: new SecretsManagerClient({}),
  };
}

/** Whether SQS calls go to the queue URL's host: not behind an endpoint override (see above). */
export function queueUrlIsEndpoint(env: Record<string, string | undefined> = process.env): boolean {
  return env.AWS_ENDPOINT_URL_SQS === undefined;
}
