import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeTick, type PlannedTick, type TickQueue } from '../../poller/ticks';
import { LeadForwarderError } from '../domain/errors';

/** SQS takes at most ten entries per SendMessageBatch: a minute of 5-second ticks (11) takes two. */
const BATCH = 10;

/** Some ticks did not reach the tick queue: those polls do not happen (the next minute's do). */
export class TickSendError extends LeadForwarderError {
  override readonly name: string = 'TickSendError';
}

/** The tick queue (functions/poller/ticks.ts): one message per tick, delayed until it is due. */
export class SqsTickQueue implements TickQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(ticks: readonly PlannedTick[]): Promise<void> {
    let failed = 0;
    for (let i = 0; i < ticks.length; i += BATCH) {
      const entries = ticks.slice(i, i + BATCH).map((planned, index) => ({
        Id: String(index),
        MessageBody: encodeTick(planned.tick),
        DelaySeconds: planned.delaySeconds,
      }));
      // Not retried: a tick sent late is dropped on arrival anyway, and the next minute fans out afresh.
      const { Failed = [] } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      failed += Failed.length;
    }
    if (failed > 0) throw new TickSendError(`${failed} of ${ticks.length} ticks could not be put on the tick queue`);
  }
}
