import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ForwarderQueue } from '../../forwarder/ports';
import { PARKED_ENDPOINTS_ATTRIBUTE, PARKED_REASON_ATTRIBUTE, type LeadMessage } from '../domain/lead-message';

/**
 * SQS caps a message's visibility at 12 hours from its receive; the forwarder asks some time
 * after receiving, so it stays one Lambda timeout (15 min at most) below the cap.
 */
const MAX_VISIBILITY_SECONDS = 43_200 - 900;
/** SQS caps a message attribute value at 256 KB with the body; reasons are kept short. */
const MAX_REASON_CHARS = 1_000;

/** Retry delays through visibility, parking through the DLQ: the forwarder never sleeps. */
export class SqsForwarderQueue implements ForwarderQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly dlqUrl: string,
  ) {}

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    const timeout = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(seconds)));
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: timeout }),
    );
  }

  async park(message: LeadMessage, reason: string, endpoints: string[]): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [key, value] of Object.entries(message.attributes)) attributes[key] = { DataType: 'String', StringValue: value };
    attributes[PARKED_REASON_ATTRIBUTE] = { DataType: 'String', StringValue: reason.slice(0, MAX_REASON_CHARS) || 'unknown' };
    if (endpoints.length > 0) attributes[PARKED_ENDPOINTS_ATTRIBUTE] = { DataType: 'String', StringValue: endpoints.join(',') };
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.dlqUrl, MessageBody: message.body, MessageAttributes: attributes }),
    );
  }
}
