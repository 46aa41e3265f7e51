import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PARKED_ENDPOINTS_ATTRIBUTE, PARKED_REASON_ATTRIBUTE } from '../shared/domain/lead-message';
import { OperatorError } from './errors';

/** How long a received DLQ message stays hidden while it is being moved. */
const MOVE_VISIBILITY_SECONDS = 60;
/**
 * Messages left in place stay hidden this long, so that a long move never meets them again and
 * takes them for the end of the queue; they are made visible at the end (or after this, if the
 * command dies first).
 */
const KEEP_HIDDEN_SECONDS = 3_600;
/** What a replayed message says when SQS, not the forwarder, moved it to the DLQ (no reason of ours). */
export const REDRIVEN_REASON = 'moved to the dead-letter queue by SQS after repeated failed receives';

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
 * A message without `parked_reason` (SQS redrove it) gets one, so the forwarder treats it as the
 * replay it is and tries again the endpoints that refused it.
 */
export async function moveMessages(
  sqs: SQSClient,
  fromUrl: string,
  toUrl: string,
  accept: (message: Message) => boolean,
): Promise<MoveResult> {
  const seen = new Set<string>();
  const kept: Message[] = [];
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fromUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
        MessageAttributeNames: ['All'],
      }),
    );
    // Empty, or only messages met before (they outlived their hidden time): everything was seen.
    const fresh = Messages.filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.add(m.MessageId!);
    const move = fresh.filter(accept);
    const keep = fresh.filter((m) => !accept(m));
    kept.push(...keep);
    await setVisibility(sqs, fromUrl, keep, KEEP_HIDDEN_SECONDS);
    if (move.length === 0) continue;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: toUrl,
        Entries: move.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          MessageAttributes: replayAttributes(m.MessageAttributes),
        })),
      }),
    );
    const ok = (sent.Successful ?? []).map((entry) => move[Number(entry.Id)]!);
    moved += ok.length;
    if (ok.length > 0) {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: fromUrl,
          Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      const undeleted = deleted.Failed ?? [];
      if (undeleted.length > 0) {
        // Already on the leads queue, so nothing is lost; the copy left here would be replayed twice.
        throw new OperatorError(
          `${moved} messages moved, but ${undeleted.length} of them could not be deleted from the dead-letter queue (${undeleted[0]?.Message ?? 'no reason given'}): a later replay sends those again (the ledger keeps endpoints from receiving them twice)`,
        );
      }
    }
    const failed = sent.Failed ?? [];
    if (failed.length > 0) {
      throw new OperatorError(
        `${moved} messages moved, then ${failed.length} could not be sent (${failed[0]?.Message ?? 'no reason given'}); they stay in the dead-letter queue: run replay again`,
      );
    }
  }
  await setVisibility(sqs, fromUrl, kept, 0);
  return { moved, kept: kept.length };
}

async function setVisibility(sqs: SQSClient, queueUrl: string, messages: readonly Message[], seconds: number): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: seconds })),
      }),
    );
  }
}

/** A parked message concerns `endpoint` when it names it, or names none (SQS redrove it after failed invocations). */
export function parkedFor(endpoint: string): (message: Message) => boolean {
  return (message) => {
    const named = message.MessageAttributes?.[PARKED_ENDPOINTS_ATTRIBUTE]?.StringValue;
    return named === undefined || named.split(',').includes(endpoint);
  };
}

/** The message's attributes as they were, plus a `parked_reason` if SQS redrove it without one. */
function replayAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> {
  const copy: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    copy[name] = { DataType: value.DataType, StringValue: value.StringValue, BinaryValue: value.BinaryValue };
  }
  copy[PARKED_REASON_ATTRIBUTE] ??= { DataType: 'String', StringValue: REDRIVEN_REASON };
  return copy;
}
