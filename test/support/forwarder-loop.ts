import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { forwardBatch, type QueueRecord, type RecordResult } from '../../functions/forwarder/forward';
import type { ForwardDeps } from '../../functions/forwarder/ports';

/** Receives one batch the way Lambda's SQS event source does. */
export async function receive(sqs: SQSClient, queueUrl: string, waitSeconds = 0): Promise<QueueRecord[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages.map((m) => {
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(m.MessageAttributes ?? {}))
      if (value.StringValue !== undefined) attributes[key] = value.StringValue;
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
      message: {
        body: m.Body ?? '',
        attributes,
        ...(m.Attributes?.SentTimestamp === undefined ? {} : { sentTimestamp: m.Attributes.SentTimestamp }),
      },
    };
  });
}

/** Messages on the queue: visible, in flight or waiting out a retry, and delayed. */
async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Lambda's event-source semantics: forward each batch, delete what is not reported as a
 * failure, until the queue is empty. Messages hidden for a retry are waited for until nothing
 * has come back for `idleMs` (a long backoff is left on the queue); `maxMs` caps the whole run.
 */
export async function drain(
  deps: ForwardDeps,
  sqs: SQSClient,
  queueUrl: string,
  opts: { idleMs?: number; maxMs?: number } = {},
): Promise<RecordResult[]> {
  const results: RecordResult[] = [];
  const end = Date.now() + (opts.maxMs ?? 20_000);
  let idleSince = Date.now();
  while (Date.now() < end) {
    const records = await receive(sqs, queueUrl);
    if (records.length === 0) {
      if ((await depth(sqs, queueUrl)) === 0) break;
      if (Date.now() - idleSince >= (opts.idleMs ?? 1_500)) break;
      await sleep(100);
      continue;
    }
    idleSince = Date.now();
    const batch = await forwardBatch(deps, records);
    results.push(...batch.records);
    const done = records.filter((r) => !batch.failures.includes(r.messageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }
  return results;
}
