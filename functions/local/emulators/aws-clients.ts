import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CLIENT_DEFAULTS } from '../../shared/aws/clients';
import { LOCAL_REGION } from '../runner/resources';

/** The simulators accept any credentials; the SDK still signs, so it needs some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** SDK clients for the local servers (the runner's and the operator commands' own). */
export function localClients(endpoints: { dynamo: string; sqs: string }): { ddb: DynamoDBClient; sqs: SQSClient } {
  return {
    ddb: new DynamoDBClient({
      ...CLIENT_DEFAULTS,
      endpoint: endpoints.dynamo,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
    // fauxqs names queue hosts that do not resolve (sqs.<region>.127.0.0.1): always talk to the endpoint.
    sqs: new SQSClient({
      ...CLIENT_DEFAULTS,
      endpoint: endpoints.sqs,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    }),
  };
}
