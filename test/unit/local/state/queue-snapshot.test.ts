import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  readSnapshot,
  restoreSnapshot,
  SnapshotFileError,
  takeSnapshot,
  toSqsAttributes,
  writeSnapshot,
  type QueueSnapshot,
  type SavedMessage,
} from '../../../../functions/local/state/queue-snapshot';
import { ReceiveClaims, type InflightEntry, type QueueView } from '../../../../functions/local/runner/receive-claims';
import { createQueues, sqsClient } from '../../../support/local-aws';
import { takeLeadIds } from '../../../support/queue-contents';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snapshot-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('reads back what it wrote, attributes and pending backoff included', async () => {
  const snapshot: QueueSnapshot = {
    leads: [
      {
        body: '{"id":"1"}',
        attributes: { seen_at: { DataType: 'String', StringValue: '2026-11-29T06:00:00.000Z' } },
        hiddenUntil: 1_800_000_000_000,
      },
    ],
    deadLetters: [
      {
        body: '{"id":"2"}',
        attributes: {
          parked_reason: { DataType: 'String', StringValue: 'HTTP 400' },
          bin: { DataType: 'Binary', BinaryValue: 'aGk=' },
        },
      },
    ],
  };
  const file = join(dir, 'queues.json');
  await writeSnapshot(file, snapshot);
  expect(await readSnapshot(file)).toEqual(snapshot);
});

it('treats a missing file as empty queues', async () => {
  expect(await readSnapshot(join(dir, 'none.json'))).toEqual({ leads: [], deadLetters: [] });
});

it('refuses a damaged file with the way out, rather than starting with queues missing', async () => {
  const file = join(dir, 'queues.json');
  for (const text of [
    '{"format":1,"leads":[{"body":1}],"deadLetters":[]}',
    'not json',
    '{"format":99,"leads":[],"deadLetters":[]}',
  ]) {
    await writeFile(file, text);
    await expect(readSnapshot(file)).rejects.toThrow(SnapshotFileError);
    await expect(readSnapshot(file)).rejects.toThrow(/move .* aside/);
  }
  expect(await readFile(file, 'utf8')).toContain('format');
});

it('turns saved attributes back into SDK attributes', () => {
  expect(
    toSqsAttributes({ a: { DataType: 'String', StringValue: 'x' }, b: { DataType: 'Binary', BinaryValue: 'aGk=' } }),
  ).toEqual({
    a: { DataType: 'String', StringValue: 'x' },
    b: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
  });
});

describe('messages in flight', () => {
  const HANDLED = 'handle-being-delivered';
  const BACKED_OFF = 'handle-backed-off';
  const LEFT = 'handle-left-by-a-settled-batch';

  /** A leads queue as fauxqs shows it: three messages in flight, hidden for the 720 s visibility timeout. */
  function leadsQueue(now: number): { view: QueueView; inflight: InflightEntry[] } {
    const inflight = [HANDLED, BACKED_OFF, LEFT].map((receiptHandle, i) => ({
      receiptHandle,
      visibilityDeadline: now + 720_000,
      message: {
        messageId: `m${i}`,
        body: JSON.stringify({ id: receiptHandle }),
        md5OfBody: '',
        messageAttributes: {},
        md5OfMessageAttributes: '',
        sentTimestamp: now,
        approximateReceiveCount: 1,
      },
    }));
    const view: QueueView = {
      inspectQueue: (name) =>
        name === 'leads' ? { name, url: '', arn: '', attributes: {}, messages: { ready: [], delayed: [], inflight } } : undefined,
    };
    return { view, inflight };
  }
  const queues = { leads: { name: 'leads', url: '', arn: '' }, deadLetters: { name: 'dlq', url: '', arn: '' } };
  const idOf = (message: SavedMessage): string => (JSON.parse(message.body) as { id: string }).id;

  it('saves a message being handled as visible, and keeps the backoff the forwarder set', () => {
    const now = Date.now();
    const { view, inflight } = leadsQueue(now);
    const claims = new ReceiveClaims(view, 'leads');
    claims.claim([HANDLED, BACKED_OFF]);
    // The forwarder's ChangeMessageVisibility: fauxqs overwrites the entry's deadline.
    inflight[1]!.visibilityDeadline = now + 300_000;

    const byId = new Map(takeSnapshot(view, queues, claims).leads.map((message) => [idOf(message), message]));
    expect(byId.get(HANDLED)).toEqual({ body: JSON.stringify({ id: HANDLED }), attributes: {}, inFlight: true });
    expect(byId.get(BACKED_OFF)?.hiddenUntil).toBe(now + 300_000);
    // Not being handled: a batch that failed without a backoff waits out the timeout, as in SQS.
    expect(byId.get(LEFT)?.hiddenUntil).toBe(now + 720_000);

    claims.release([HANDLED, BACKED_OFF]);
    const settled = takeSnapshot(view, queues, claims).leads.find((message) => idOf(message) === HANDLED);
    expect(settled).toEqual({ body: JSON.stringify({ id: HANDLED }), attributes: {}, hiddenUntil: now + 720_000 });
  });

  it('puts a message saved in flight back visible at once, and one waiting out a backoff hidden', async () => {
    const now = Date.now();
    const snapshot: QueueSnapshot = {
      leads: [
        { body: '{"id":"in-flight"}', attributes: {}, inFlight: true },
        { body: '{"id":"backed-off"}', attributes: {}, hiddenUntil: now + 300_000 },
      ],
      deadLetters: [],
    };
    const file = join(dir, 'queues.json');
    await writeSnapshot(file, snapshot);
    const readBack = await readSnapshot(file);
    expect(readBack).toEqual(snapshot);

    const sqs = sqsClient();
    try {
      const { queueUrl, dlqUrl } = await createQueues(sqs);
      await restoreSnapshot(
        sqs,
        { leads: { name: 'leads', url: queueUrl, arn: '' }, deadLetters: { name: 'dlq', url: dlqUrl, arn: '' } },
        readBack,
      );
      expect(await takeLeadIds(sqs, queueUrl)).toEqual(['in-flight']);
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }),
      );
      expect(Attributes.ApproximateNumberOfMessagesDelayed).toBe('1');
    } finally {
      sqs.destroy();
    }
  });
});
