/**
 * AWS list prices, us-east-1, on-demand, without any free tier: the only numbers the idle cost
 * script (infra/cost/main.ts) does not read from the synthesized template or the code. Each
 * group names the page it was taken from; re-check them there when `asOf` grows old, and
 * regenerate the README table (`npm run cost -- --readme`).
 */
export const PRICES = {
  asOf: '2026-12-02',
  region: 'us-east-1',
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/',
    requestsPerMillion: 0.2,
    /** Per GB-second of billed duration, first tier. */
    gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
  },
  scheduler: {
    source: 'https://aws.amazon.com/eventbridge/pricing/ (EventBridge Scheduler)',
    invocationsPerMillion: 1.0,
  },
  sqs: {
    source: 'https://aws.amazon.com/sqs/pricing/',
    /** Standard queues; every 64 KB chunk of a request is one request, and an empty receive is a request. */
    standardRequestsPerMillion: 0.4,
  },
  dynamodb: {
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    writeRequestUnitsPerMillion: 0.625,
    readRequestUnitsPerMillion: 0.125,
    storageGbMonth: 0.25,
    pitrGbMonth: 0.2,
  },
  cloudwatch: {
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    /** First 10,000 metrics; prorated by the hour, billed only for hours in which the metric is published. */
    customMetricMonth: 0.3,
    /** Per alarm metric: an alarm on a metric math expression is billed for each metric in it. */
    standardAlarmMetricMonth: 0.1,
    /** An alarm whose period is under 60 s. */
    highResolutionAlarmMetricMonth: 0.3,
    dashboardMonth: 3.0,
    logsIngestionGb: 0.5,
    logsStorageGbMonth: 0.03,
  },
  secretsManager: {
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    secretMonth: 0.4,
    apiCallsPer10k: 0.05,
  },
  kms: {
    source: 'https://aws.amazon.com/kms/pricing/',
    customerManagedKeyMonth: 1.0,
    /** Also charged for calls made with AWS-managed keys (aws/secretsmanager) on a caller's behalf. */
    requestsPer10k: 0.03,
  },
  sns: {
    source: 'https://aws.amazon.com/sns/pricing/',
    publishesPerMillion: 0.5,
    emailNotificationsPer100k: 2.0,
  },
} as const;

export type Prices = typeof PRICES;
