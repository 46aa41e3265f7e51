import type { SQSRecord } from 'aws-lambda';
import { failedIds, toSqsRecord } from '../../../../functions/local/runner/sqs-event';

const queue = {
  name: 'leads',
  url: 'http://sqs.us-east-1.127.0.0.1:1/000000000000/leads',
  arn: 'arn:aws:sqs:us-east-1:000000000000:leads',
};

it('builds the record Lambda would hand the forwarder', () => {
  const record = toSqsRecord(
    {
      MessageId: 'm1',
      ReceiptHandle: 'r1',
      Body: '{"id":"1"}',
      MD5OfBody: 'md5',
      Attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: '1764396000000',
        SenderId: 'AID',
        ApproximateFirstReceiveTimestamp: '1764396000100',
      },
      MessageAttributes: {
        seen_at: { DataType: 'String', StringValue: '2026-11-29T06:00:00.000Z' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
      },
    },
    queue,
    'us-east-1',
  );
  expect(record).toEqual({
    messageId: 'm1',
    receiptHandle: 'r1',
    body: '{"id":"1"}',
    attributes: {
      ApproximateReceiveCount: '3',
      SentTimestamp: '1764396000000',
      SenderId: 'AID',
      ApproximateFirstReceiveTimestamp: '1764396000100',
    },
    messageAttributes: {
      seen_at: { dataType: 'String', stringValue: '2026-11-29T06:00:00.000Z', stringListValues: [], binaryListValues: [] },
      blob: { dataType: 'Binary', binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [] },
    },
    md5OfBody: 'md5',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: 'us-east-1',
  });
});

describe('failedIds', () => {
  const records = ['a', 'b', 'c'].map((messageId) => ({ messageId }) as SQSRecord);

  it('keeps exactly the reported failures on the queue', () => {
    expect(failedIds(records, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual(new Set(['b']));
    expect(failedIds(records, { batchItemFailures: [] })).toEqual(new Set());
  });

  it('keeps the whole batch when the function threw or named a record not in the batch', () => {
    expect(failedIds(records, undefined)).toEqual(new Set(['a', 'b', 'c']));
    expect(failedIds(records, { batchItemFailures: [{ itemIdentifier: 'zzz' }] })).toEqual(new Set(['a', 'b', 'c']));
    expect(failedIds(records, { batchItemFailures: [{}] })).toEqual(new Set(['a', 'b', 'c']));
  });
});
