import { Duration, type CfnResource } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LeadFunction } from './lead-function';
import { LEADS_RETENTION, MAX_RECEIVE_COUNT } from './queues';
import type { ParameterSecrets } from './secrets';
import type { StateTable } from './state-table';
import { ENV, KEY_PREFIXES } from '../functions/shared/config/stack-contract';

/**
 * Time budget of one batch. An endpoint's own timeout is at most 60 s (10 s by default) and the
 * handler delivers the leads of a batch side by side (10 at a time, each to every endpoint in
 * parallel), so two minutes leaves room for the slowest endpoint plus the ledger writes. The
 * leads queue's visibility timeout is derived from this (queues.ts).
 */
export const FORWARDER_TIMEOUT = Duration.minutes(2);

/**
 * Leads per invocation: the poller enqueues in SendMessageBatch groups of 10, so one group is
 * usually one invocation, and a batch failure (timeout, crash) re-delivers at most 10 leads.
 */
export const FORWARDER_BATCH_SIZE = 10;

/** How long SQS may wait to fill a batch: at most this much latency added to a lead. */
export const FORWARDER_BATCHING_WINDOW = Duration.seconds(1);

/**
 * Concurrent forwarder invocations at most (2 is the SQS minimum): a burst of leads reaches a
 * CRM as a few parallel requests, not as a flood that trips its rate limit.
 */
export const FORWARDER_MAX_CONCURRENCY = 5;

export interface ForwarderProps {
  secrets: ParameterSecrets;
  state: StateTable;
  leads: Queue;
  deadLetters: Queue;
}

/** The forwarder Lambda: delivers each lead on the queue to every webhook, exactly once in effect. */
export class Forwarder extends Construct {
  readonly function: LeadFunction;

  constructor(scope: Construct, id: string, props: ForwarderProps) {
    super(scope, id);
    const { secrets, state, leads, deadLetters } = props;
    this.function = new LeadFunction(this, 'Forwarder', {
      function: 'forwarder',
      description: 'Delivers each queued lead to every configured webhook',
      timeout: FORWARDER_TIMEOUT,
      environment: {
        [ENV.stateTable]: state.table.tableName,
        [ENV.leadsQueueUrl]: leads.queueUrl,
        [ENV.dlqUrl]: deadLetters.queueUrl,
        [ENV.maxReceiveCount]: String(MAX_RECEIVE_COUNT),
        [ENV.leadsRetentionSeconds]: String(LEADS_RETENTION.toSeconds()),
        [ENV.webhooksSecretArn]: secrets.webhooksArn,
        [ENV.mobilePrivateKeySecretArn]: secrets.mobilePrivateKeyArnOrEmpty,
      },
    });
    const fn = this.function.fn;

    fn.addEventSource(
      new SqsEventSource(leads, {
        batchSize: FORWARDER_BATCH_SIZE,
        maxBatchingWindow: FORWARDER_BATCHING_WINDOW,
        reportBatchItemFailures: true,
        maxConcurrency: FORWARDER_MAX_CONCURRENCY,
      }),
    );
    // The event source grants receive/delete/ChangeMessageVisibility (the retry backoff) on the
    // leads queue; the forwarder parks rejected leads in the DLQ itself, with the reason.
    deadLetters.grantSendMessages(fn);
    secrets.grantReadWebhooks(this.function.role);
    secrets.grantReadMobilePrivateKey(this.function.role, fn.node.defaultChild as CfnResource);
    // The ledger claims, settles and releases (Put/Update/Delete, all conditional) and records
    // deliveries in groups (BatchWriteItem); endpoint status is read and updated.
    state.grantItems(
      fn,
      [KEY_PREFIXES.delivery, KEY_PREFIXES.endpoint],
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    );
  }
}
