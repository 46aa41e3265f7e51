import type { AwsCall } from './aws-call-recorder';

/**
 * What IAM authorizes for one recorded AWS call: an action on a resource, with the request's
 * condition keys. One call can need several (a transaction, a message move task), and a batch
 * call is authorized as its single-item action (SQS: SendMessageBatch needs sqs:SendMessage).
 * The mappings follow each service's "actions, resources and condition keys" reference; a call
 * this file does not know fails loudly, so a new kind of call cannot slip past the IAM test.
 */
export interface IamRequest {
  /** `service:Action`, as a policy names it. */
  action: string;
  /** The resource's ARN. */
  resource: string;
  /** Condition keys of the request (dynamodb:LeadingKeys, aws:SecureTransport…). */
  context: Record<string, string | string[]>;
}

export interface AwsNaming {
  region: string;
  account: string;
  /** The partition key attribute of a table, by table name (from the template's KeySchema). */
  partitionKeyOf(table: string): string;
}

/** The IAM requests one call makes, with what every call over the SDK's HTTPS has (aws:SecureTransport). */
export function iamRequestsOf(call: AwsCall, naming: AwsNaming): IamRequest[] {
  const requests = requestsOf(call, naming);
  return requests.map((request) => ({ ...request, context: { 'aws:SecureTransport': 'true', ...request.context } }));
}

function requestsOf(call: AwsCall, naming: AwsNaming): IamRequest[] {
  switch (call.service) {
    case 'dynamodb':
      return dynamodbRequests(call, naming);
    case 'sqs':
      return sqsRequests(call, naming);
    case 'secretsmanager':
      return [{ action: `secretsmanager:${call.operation}`, resource: secretArn(call), context: {} }];
    case 'cloudformation':
      return [{ action: `cloudformation:${call.operation}`, resource: stackArn(call, naming), context: {} }];
    default:
      throw new Error(`no IAM mapping for service ${call.service} (${call.operation})`);
  }
}

type AttributeValue = Record<string, unknown>;
type Key = Record<string, AttributeValue>;

function dynamodbRequests(call: AwsCall, naming: AwsNaming): IamRequest[] {
  const tableArn = (table: unknown): string => {
    if (typeof table !== 'string') throw new Error(`dynamodb ${call.operation} names no TableName`);
    return `arn:aws:dynamodb:${naming.region}:${naming.account}:table/${table}`;
  };
  /** dynamodb:LeadingKeys: the partition key values the request touches. */
  const leading = (table: string, keys: (Key | undefined)[]): Record<string, string[]> => ({
    'dynamodb:LeadingKeys': keys.map((key) => scalarOf(key?.[naming.partitionKeyOf(table)], `${call.operation} on ${table}`)),
  });
  const input = call.input;
  const table = input.TableName as string;
  switch (call.operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action: `dynamodb:${call.operation}`, resource: tableArn(table), context: leading(table, [input.Key as Key]) }];
    case 'PutItem':
      return [{ action: 'dynamodb:PutItem', resource: tableArn(table), context: leading(table, [input.Item as Key]) }];
    case 'Query':
      return [
        { action: 'dynamodb:Query', resource: tableArn(table), context: { 'dynamodb:LeadingKeys': [queriedKey(call, naming)] } },
      ];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.entries(input.RequestItems as Record<string, unknown>).map(([name, items]) => {
        const keys =
          call.operation === 'BatchGetItem'
            ? (items as { Keys: Key[] }).Keys
            : (items as { PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key } }[]).map(
                (item) => item.PutRequest?.Item ?? item.DeleteRequest?.Key,
              );
        return { action: `dynamodb:${call.operation}`, resource: tableArn(name), context: leading(name, keys) };
      });
    case 'TransactWriteItems':
    case 'TransactGetItems':
      // A transaction is authorized item by item, as the single-item action of each.
      return (input.TransactItems as Record<string, { TableName: string; Key?: Key; Item?: Key }>[]).map((item) => {
        const [kind, spec] = Object.entries(item)[0]!;
        const action = {
          Get: 'GetItem',
          Put: 'PutItem',
          Update: 'UpdateItem',
          Delete: 'DeleteItem',
          ConditionCheck: 'ConditionCheckItem',
        }[kind];
        if (action === undefined) throw new Error(`dynamodb ${call.operation}: unknown item kind ${kind}`);
        return {
          action: `dynamodb:${action}`,
          resource: tableArn(spec.TableName),
          context: leading(spec.TableName, [spec.Key ?? spec.Item]),
        };
      });
    default:
      // Table-level calls (Scan, DescribeTable…): no key, no LeadingKeys.
      return [{ action: `dynamodb:${call.operation}`, resource: tableArn(table), context: {} }];
  }
}

/** A key attribute's value as IAM sees it: the string or number, as text. */
function scalarOf(value: AttributeValue | undefined, what: string): string {
  const scalar = value?.S ?? value?.N;
  if (typeof scalar !== 'string') throw new Error(`${what}: no partition key value in the request`);
  return scalar;
}

/** The partition key value of a Query: `pk = :v` (or `#name = :v`) in its KeyConditionExpression. */
function queriedKey(call: AwsCall, naming: AwsNaming): string {
  const {
    TableName,
    KeyConditionExpression,
    ExpressionAttributeNames = {},
    ExpressionAttributeValues = {},
  } = call.input as {
    TableName: string;
    KeyConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  };
  const partitionKey = naming.partitionKeyOf(TableName);
  for (const [, name, value] of (KeyConditionExpression ?? '').matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    if ((ExpressionAttributeNames[name!] ?? name) === partitionKey) return scalarOf(ExpressionAttributeValues[value!], 'Query');
  }
  throw new Error(`Query on ${TableName}: no partition key condition found in ${KeyConditionExpression}`);
}

/** Batch operations are authorized as their single-message action. */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

function sqsRequests(call: AwsCall, naming: AwsNaming): IamRequest[] {
  const on = (action: string, arn: string): IamRequest => ({ action: `sqs:${action}`, resource: arn, context: {} });
  if (call.operation === 'StartMessageMoveTask') {
    // The SQS API permissions reference: a move task reads and deletes on the source (the DLQ)
    // and sends to the destination.
    const { SourceArn, DestinationArn } = call.input as { SourceArn: string; DestinationArn?: string };
    const source = ['StartMessageMoveTask', 'ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((a) => on(a, SourceArn));
    return DestinationArn === undefined ? source : [...source, on('SendMessage', DestinationArn)];
  }
  const url = call.input.QueueUrl;
  if (typeof url !== 'string') throw new Error(`sqs ${call.operation} names no QueueUrl`);
  // The last path segment is the name (local SQS URLs have hosts WHATWG URL refuses).
  const name = url.split('/').at(-1)!;
  return [on(SQS_BATCH_ACTIONS[call.operation] ?? call.operation, `arn:aws:sqs:${naming.region}:${naming.account}:${name}`)];
}

function secretArn(call: AwsCall): string {
  const id = call.input.SecretId;
  // IAM matches a secret by its full ARN; the code always names secrets by the ARN it was given.
  if (typeof id !== 'string' || !id.startsWith('arn:'))
    throw new Error(`secretsmanager ${call.operation}: SecretId is not an ARN`);
  return id;
}

/** The id part is what the local CloudFormation (cloudformation-server.ts) gives every stack: `local`. */
function stackArn(call: AwsCall, naming: AwsNaming): string {
  const name = call.input.StackName;
  if (typeof name !== 'string') throw new Error(`cloudformation ${call.operation} names no StackName`);
  return name.startsWith('arn:') ? name : `arn:aws:cloudformation:${naming.region}:${naming.account}:stack/${name}/local`;
}

/** One line for a failure message: who, what, on which resource, with which keys. */
export function describeRequest(request: IamRequest): string {
  const keys = Object.entries(request.context)
    .filter(([key]) => key !== 'aws:SecureTransport')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${request.action} on ${request.resource}${keys.length === 0 ? '' : ` (${keys.join(', ')})`}`;
}
