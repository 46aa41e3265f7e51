import type { Message } from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { QueueRef } from '../emulators/sqs-server';

/**
 * One received SQS message as Lambda's SQS event source hands it to a function: the same
 * field names and casing, attributes as strings, binary attribute values as base64.
 */
export function toSqsRecord(message: Message, queue: QueueRef, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      stringValue: value.StringValue,
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    md5OfMessageAttributes: message.MD5OfMessageAttributes,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * The message ids Lambda leaves on the queue after a batch: those reported in
 * `batchItemFailures`, or the whole batch when the function failed or reported an id that is
 * not in the batch (Lambda treats that response as a failure of every record).
 */
export function failedIds(
  records: readonly SQSRecord[],
  response: { batchItemFailures?: { itemIdentifier?: string }[] } | undefined,
): Set<string> {
  const all = new Set(records.map((record) => record.messageId));
  if (response === undefined) return all;
  const failed = new Set<string>();
  for (const item of response.batchItemFailures ?? []) {
    if (item.itemIdentifier === undefined || !all.has(item.itemIdentifier)) return all;
    failed.add(item.itemIdentifier);
  }
  return failed;
}
