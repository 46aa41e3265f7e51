import { ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { moveMessages, parkedFor, REDRIVEN_REASON } from '../../../functions/cli/dlq-move';
import { PARKED_ENDPOINTS_ATTRIBUTE, PARKED_REASON_ATTRIBUTE } from '../../../functions/shared/domain/lead-message';
import { createQueues, sqsClient, type TestQueues } from '../../support/local-aws';

let sqs: SQSClient;
let queues: TestQueues;
beforeAll(() => {
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());
beforeEach(async () => {
  queues = await createQueues(sqs);
});

async function park(body: string, attributes: Record<string, string>): Promise<void> {
  const MessageAttributes = Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl: queues.dlqUrl, MessageBody: body, MessageAttributes }));
}

async function all(queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 30,
      }),
    );
    if (Messages.length === 0) return out;
    out.push(...Messages);
  }
}

const reasonOf = (m: Message): string | undefined => m.MessageAttributes?.[PARKED_REASON_ATTRIBUTE]?.StringValue;

describe('moveMessages (fauxqs)', () => {
  it('moves every message with its body and attributes; one SQS redrove (no parked_reason) gets one, so it is treated as a replay', async () => {
    await park('{"id":"1"}', { [PARKED_REASON_ATTRIBUTE]: 'HTTP 422 from crm', [PARKED_ENDPOINTS_ATTRIBUTE]: 'crm' });
    await park('{"id":"2"}', {});
    expect(await moveMessages(sqs, queues.dlqUrl, queues.queueUrl, () => true)).toEqual({ moved: 2, kept: 0 });
    const moved = await all(queues.queueUrl);
    expect(moved.map((m) => [m.Body, reasonOf(m)]).sort()).toEqual([
      ['{"id":"1"}', 'HTTP 422 from crm'],
      ['{"id":"2"}', REDRIVEN_REASON],
    ]);
    expect(moved.find((m) => m.Body === '{"id":"1"}')?.MessageAttributes?.[PARKED_ENDPOINTS_ATTRIBUTE]?.StringValue).toBe('crm');
    expect(await all(queues.dlqUrl)).toEqual([]);
  });

  it('with an endpoint filter, leaves the others in the dead-letter queue, visible again at the end', async () => {
    for (let i = 0; i < 12; i += 1)
      await park(`{"id":"${i}"}`, {
        [PARKED_REASON_ATTRIBUTE]: 'refused',
        [PARKED_ENDPOINTS_ATTRIBUTE]: i % 3 === 0 ? 'crm' : 'erp',
      });
    await park('{"id":"redriven"}', {});
    expect(await moveMessages(sqs, queues.dlqUrl, queues.queueUrl, parkedFor('crm'))).toEqual({ moved: 5, kept: 8 });
    expect((await all(queues.queueUrl)).map((m) => m.Body).sort()).toEqual([
      '{"id":"0"}',
      '{"id":"3"}',
      '{"id":"6"}',
      '{"id":"9"}',
      '{"id":"redriven"}',
    ]);
    expect(await all(queues.dlqUrl)).toHaveLength(8);
  });
});
