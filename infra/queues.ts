import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * How many times the forwarder may receive a lead; on the last receive it parks the lead in the
 * DLQ itself, with the reason (SQS's redrive at this count is only the backstop). Between
 * receives it backs off through ChangeMessageVisibility (functions/forwarder/outcome.ts):
 * full jitter, uniform up to 10 s · 2^(attempt−1), capped at 1 h. The first 9 waits average
 * ~43 min together and every later one averages 30 min, so 55 receives span ~43 min + 45 × 30
 * min ≈ 23 h (at most ~46 h): an endpoint may be down for about a day before its leads are
 * parked. test/infra/contract.test.ts recomputes this from the forwarder's own backoff.
 */
export const MAX_RECEIVE_COUNT = 55;

/** The forwarder's visibility timeout is at least this many times its function timeout (AWS's advice for SQS event sources). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * Leads queue retention. It must outlast the retry span (about a day, at most ~2, above) with
 * room to repair a stalled forwarder (the queue-age alarm fires long before); and not be the
 * 14-day maximum,
 * because a lead redriven to the DLQ keeps its original enqueue time, so the DLQ's 14 days
 * minus this is how long an operator has to replay a parked lead: here at least 10 days.
 */
export const LEADS_RETENTION = Duration.days(4);

/** DLQ retention: the maximum, the operator's window to inspect and replay parked leads. */
export const DLQ_RETENTION = Duration.days(14);

export interface LeadQueuesProps {
  /** The forwarder's function timeout; the visibility timeout is derived from it. */
  forwarderTimeout: Duration;
}

/** The leads queue (one message per lead) and its dead-letter queue, both encrypted, TLS only. */
export class LeadQueues extends Construct {
  readonly leads: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: LeadQueuesProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
    });
    this.leads = new Queue(this, 'Leads', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: LEADS_RETENTION,
      visibilityTimeout: Duration.seconds(props.forwarderTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}
