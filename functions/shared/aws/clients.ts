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

/**
 * What every client of ours sets: the SDK resolves a command's middleware stack (a copy of the
 * client's, sorted) once per command class rather than on every call. The ledger makes a few
 * calls a delivery, and that resolving was a tenth of the SDK's CPU on them. Its one condition,
 * no middleware added to a client after its first call, holds: ours add none (the CLI's and the
 * tests' add theirs before any call).
 */
export const CLIENT_DEFAULTS = { cacheMiddleware: true } as const;

/** A DynamoDB client with the retries above; `config` adds to the environment's (an endpoint, in tests). */
export function createDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ ...CLIENT_DEFAULTS, maxAttempts: DYNAMODB_MAX_ATTEMPTS, ...config });
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
    sqs: new SQSClient({ ...CLIENT_DEFAULTS, useQueueUrlAsEndpoint: queueUrlIsEndpoint(env) }),
    secrets: new SecretsManagerClient({ ...CLIENT_DEFAULTS }),
  };
}

/** Whether SQS calls go to the queue URL's host: not behind an endpoint override (see above). */
export function queueUrlIsEndpoint(env: Record<string, string | undefined> = process.env): boolean {
  return env.AWS_ENDPOINT_URL_SQS === undefined;
}
