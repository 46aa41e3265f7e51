/**
 * What the stack (infra/) and the function code must both know, in one module without imports:
 * the CDK app and every Lambda bundle load it, so it may depend on neither aws-cdk-lib nor the
 * SDK. The stack sets and grants from here; the functions read and write from here. Nothing
 * else belongs in it: a value only one side uses stays with that side.
 */

/**
 * The environment variables the stack sets and the handlers read (lambda-env.ts). Only names,
 * ARNs and non-secret settings travel here; secret values are read from Secrets Manager by ARN.
 */
export const ENV = {
  stateTable: 'STATE_TABLE_NAME',
  leadsQueueUrl: 'LEADS_QUEUE_URL',
  dlqUrl: 'DLQ_URL',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  leadsRetentionSeconds: 'LEADS_RETENTION_SECONDS',
  topAppKey: 'TOP_APP_KEY',
  topGatewayUrl: 'TOP_GATEWAY_URL',
  topSignMethod: 'TOP_SIGN_METHOD',
  pageSize: 'PAGE_SIZE',
  startFrom: 'START_FROM',
  pollIntervalSeconds: 'POLL_INTERVAL_SECONDS',
  topAppSecretArn: 'TOP_APP_SECRET_ARN',
  topSessionKeyArn: 'TOP_SESSION_KEY_ARN',
  webhooksSecretArn: 'WEBHOOKS_SECRET_ARN',
  mobilePrivateKeySecretArn: 'MOBILE_PRIVATE_KEY_SECRET_ARN',
} as const;

/**
 * Values one function needs together may share one secret ($0.40 a month each, infra/cost): the
 * secret holds them one per line (each is `\S+`, so a line break never occurs inside one), and
 * the function is told `<secret ARN>#<line>` (a Secrets Manager ARN never holds `#`).
 */
export const SECRET_LINE_BREAK = '\n';
export const SECRET_LINE_MARK = '#';

// The defaults of DESIGN §4: the stack parameters' defaults and the config file's are the same.

export const DEFAULT_GATEWAY_URL = 'https://eco.taobao.com/router/rest';
export const SIGN_METHODS = ['hmac-sha256', 'hmac', 'md5'] as const;
export type SignMethod = (typeof SIGN_METHODS)[number];
export const DEFAULT_SIGN_METHOD: SignMethod = 'hmac-sha256';
/** The API's own limit for page_size. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE;
/** Every minute: the stack's default PollSchedule is the schedule of this interval. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;
export const DEFAULT_START_FROM = 'latest';

/**
 * Partition-key prefixes of the state table: which part of the pipeline owns which items. The
 * stack limits each function's grants to its prefixes (dynamodb:LeadingKeys), so a key written
 * under any other prefix is refused.
 */
export const KEY_PREFIXES = {
  /** Poller: cursor and scan state per source (app key). */
  source: 'source#',
  /** Forwarder: the delivery ledger, one item per (lead, endpoint). */
  delivery: 'delivery#',
  /** Forwarder: endpoint status (gone after a 410). */
  endpoint: 'endpoint#',
} as const;

/**
 * The most a CloudFormation parameter value holds, in bytes. A larger Webhooks value goes in a
 * secret the operator keeps, named by the ExternalWebhooksSecretArn parameter.
 */
export const MAX_PARAMETER_BYTES = 4_096;
