import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PARKED_ENDPOINTS_ATTRIBUTE } from '../shared/aws/lead-message';
import { OperatorError } from './errors';

/** How long a received DLQ message stays hidden while it is being moved. */
const MOVE_VISIBILITY_SECONDS = 60;

export interface MoveResult {
  moved: number;
  /** Messages left in the DLQ because `accept` said no. */
  kept: number;
}

/**
 * Moves messages from one queue to another by receive, send, delete — body and message
 * attributes intact (the forwarder reads `parked_reason` to know a lead is replayed). Each
 * message is sent before it is deleted, so a failure in between duplicates it (the ledger stops
 * the re-send) and never loses it. Messages `accept` refuses are made visible again at the end.
 */
export async function moveMessages(sqs: SQSClient, fromUrl: string, toUrl: string, accept: (message: Message) => boolean): Promise<MoveResult> {
  const seen = new Set<string>();
  const kept: Message[] = [];
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: fromUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: MOVE_VISIBILITY_SECONDS, MessageAttributeNames: ['All'] }),
    );
    // Empty, or only messages met before (they outlived their hidden time): everything was seen.
    const fresh = Messages.filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.add(m.MessageId!);
    const move = fresh.filter(accept);
    kept.push(...fresh.filter((m) => !accept(m)));
    if (move.length === 0) continue;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: toUrl,
        Entries: move.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '', MessageAttributes: copyAttributes(m.MessageAttributes) })),
      }),
    );
    const ok = (sent.Successful ?? []).map((entry) => move[Number(entry.Id)]!);
    if (ok.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: fromUrl, Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    moved += ok.length;
    const failed = sent.Failed ?? [];
    if (failed.length > 0) {
      throw new OperatorError(`${moved} messages moved, then ${failed.length} could not be sent (${failed[0]?.Message ?? 'no reason given'}); they stay in the dead-letter queue: run replay again`);
    }
  }
  for (let i = 0; i < kept.length; i += 10) {
    const batch = kept.slice(i, i + 10);
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: fromUrl, Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) }));
  }
  return { moved, kept: kept.length };
}

/** A parked message concerns `endpoint` when it names it, or names none (SQS redrove it after failed invocations). */
export function parkedFor(endpoint: string): (message: Message) => boolean {
  return (message) => {
    const named = message.MessageAttributes?.[PARKED_ENDPOINTS_ATTRIBUTE]?.StringValue;
    return named === undefined || named.split(',').includes(endpoint);
  };
}

function copyAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> {
  const copy: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    copy[name] = { DataType: value.DataType, ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }), ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }) };
  }
  return copy;
}
