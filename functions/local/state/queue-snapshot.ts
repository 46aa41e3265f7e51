import { readFile, rename, writeFile } from 'node:fs/promises';
import { SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { LeadForwarderError } from '../../shared/domain/errors';
import { isRecord } from '../../shared/domain/is-record';
import type { QueueView, ReceiveClaims } from '../runner/receive-claims';
import { parseSourceItems, type SourceItem } from './source-checkpoint';
import type { LocalQueues } from '../emulators/sqs-server';

/**
 * fauxqs keeps messages in memory only, so the runner writes every message of the leads queue
 * and the DLQ (body and attributes) to the state directory and sends them again at the next
 * start: stopping the runner loses nothing. A message waiting out a retry backoff keeps (most
 * of) its wait; one the forwarder was still handling when the runner died comes back at once,
 * since nobody handles it any more. What a restart cannot keep is the receive count: a restored
 * message starts a fresh attempt budget.
 */

export interface SavedAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64. */
  BinaryValue?: string;
}

export interface SavedMessage {
  body: string;
  attributes: Record<string, SavedAttribute>;
  /** Epoch ms before which the message was not to be received (a retry backoff or a delay). */
  hiddenUntil?: number;
  /**
   * The runner's forwarder was handling the message when it was saved (received, not settled,
   * no backoff set). Only that receive hid it, and the snapshot is read back by a later process,
   * after the one that received it has gone: so no `hiddenUntil`, the message is visible at once.
   */
  inFlight?: true;
}

export interface QueueSnapshot {
  leads: SavedMessage[];
  deadLetters: SavedMessage[];
  /** The source states recorded before the queues were read (see source-checkpoint.ts). */
  sources?: SourceItem[];
}

/** The snapshot file cannot be read back; the message names the file and the way out. */
export class SnapshotFileError extends LeadForwarderError {
  override readonly name: string = 'SnapshotFileError';
}

const FORMAT = 1;
/** SQS refuses a DelaySeconds above 15 minutes: a longer backoff is shortened to that on restore. */
const MAX_DELAY_SECONDS = 900;

/**
 * Every message of both queues, read without receiving them (nothing becomes invisible).
 * `claims`: the leads the event source is handling now (receive-claims.ts); without it every
 * message in flight is saved with its visibility deadline.
 */
export function takeSnapshot(view: QueueView, queues: LocalQueues, claims?: Pick<ReceiveClaims, 'heldByReceive'>): QueueSnapshot {
  return { leads: messagesOf(view, queues.leads.name, claims), deadLetters: messagesOf(view, queues.deadLetters.name) };
}

function messagesOf(view: QueueView, name: string, claims?: Pick<ReceiveClaims, 'heldByReceive'>): SavedMessage[] {
  const inspected = view.inspectQueue(name);
  if (inspected === undefined) return [];
  const { ready, delayed, inflight } = inspected.messages;
  return [
    ...ready.map((m) => saved(m.body, m.messageAttributes)),
    ...delayed.map((m) => saved(m.body, m.messageAttributes, m.delayUntil)),
    ...inflight.map((entry) =>
      claims?.heldByReceive(entry) === true
        ? { ...saved(entry.message.body, entry.message.messageAttributes), inFlight: true as const }
        : saved(entry.message.body, entry.message.messageAttributes, entry.visibilityDeadline),
    ),
  ];
}

function saved(body: string, attributes: Record<string, SavedAttribute>, hiddenUntil?: number): SavedMessage {
  const copy: Record<string, SavedAttribute> = {};
  for (const [key, value] of Object.entries(attributes)) copy[key] = { ...value };
  return hiddenUntil === undefined || hiddenUntil <= Date.now()
    ? { body, attributes: copy }
    : { body, attributes: copy, hiddenUntil };
}

/**
 * Written to a temporary file and renamed, so a crash mid-write leaves the previous snapshot.
 * `serialized`: JSON.stringify(snapshot), when the caller has it already (a big queue's text
 * takes a while to make, and the runner makes it anyway to see whether anything changed).
 */
export async function writeSnapshot(file: string, snapshot: QueueSnapshot, serialized = JSON.stringify(snapshot)): Promise<void> {
  // The snapshot's own keys follow the two of the file: `{"format":…,"takenAt":…,` + `"leads":…}`.
  const text = `${JSON.stringify({ format: FORMAT, takenAt: new Date().toISOString() }).slice(0, -1)},${serialized.slice(1)}\n`;
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

/** The saved snapshot, or empty queues when there is none yet. */
export async function readSnapshot(file: string): Promise<QueueSnapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') return { leads: [], deadLetters: [] };
    throw new SnapshotFileError(`cannot read the saved queues in ${file}`, { cause: error });
  }
  const fix = `move ${file} aside to start with empty queues (its leads are then not delivered)`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFileError(`the saved queues in ${file} are not JSON: ${fix}`, { cause: error });
  }
  if (!isRecord(value) || value.format !== FORMAT)
    throw new SnapshotFileError(`the saved queues in ${file} are not in format ${FORMAT}: ${fix}`);
  const leads = parseMessages(value.leads);
  const deadLetters = parseMessages(value.deadLetters);
  const sources = parseSourceItems(value.sources);
  if (leads === undefined || deadLetters === undefined || sources === undefined)
    throw new SnapshotFileError(`the saved queues in ${file} have a malformed message: ${fix}`);
  return value.sources === undefined ? { leads, deadLetters } : { leads, deadLetters, sources };
}

function parseMessages(value: unknown): SavedMessage[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const messages: SavedMessage[] = [];
  for (const item of value as unknown[]) {
    if (!isRecord(item) || typeof item.body !== 'string' || !isRecord(item.attributes)) return undefined;
    const attributes: Record<string, SavedAttribute> = {};
    for (const [key, attribute] of Object.entries(item.attributes)) {
      if (!isRecord(attribute) || typeof attribute.DataType !== 'string') return undefined;
      const parsed: SavedAttribute = { DataType: attribute.DataType };
      if (typeof attribute.StringValue === 'string') parsed.StringValue = attribute.StringValue;
      if (typeof attribute.BinaryValue === 'string') parsed.BinaryValue = attribute.BinaryValue;
      attributes[key] = parsed;
    }
    const message: SavedMessage = { body: item.body, attributes };
    if (typeof item.hiddenUntil === 'number' && Number.isFinite(item.hiddenUntil)) message.hiddenUntil = item.hiddenUntil;
    if (item.inFlight === true) message.inFlight = true;
    messages.push(message);
  }
  return messages;
}

/**
 * Sends the saved messages back to their queues, body and attributes intact. A message that was
 * waiting out a backoff waits the rest of it, up to `maxDelaySeconds`; one saved in flight
 * (`inFlight`) is visible at once.
 */
export async function restoreSnapshot(
  sqs: SQSClient,
  queues: LocalQueues,
  snapshot: QueueSnapshot,
  maxDelaySeconds = MAX_DELAY_SECONDS,
): Promise<void> {
  await sendAll(sqs, queues.leads.url, snapshot.leads, maxDelaySeconds);
  await sendAll(sqs, queues.deadLetters.url, snapshot.deadLetters, maxDelaySeconds);
}

async function sendAll(sqs: SQSClient, queueUrl: string, messages: SavedMessage[], maxDelaySeconds: number): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          MessageBody: message.body,
          MessageAttributes: toSqsAttributes(message.attributes),
          DelaySeconds: Math.min(delayOf(message), maxDelaySeconds),
        })),
      }),
    );
    if (Failed.length > 0)
      throw new SnapshotFileError(
        `${Failed.length} saved messages could not be put back on ${queueUrl} (${Failed[0]?.Message ?? 'no reason given'}); the snapshot file is kept`,
      );
  }
}

export function toSqsAttributes(attributes: Record<string, SavedAttribute>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = {
      DataType: value.DataType,
      StringValue: value.StringValue,
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: Buffer.from(value.BinaryValue, 'base64') }),
    };
  }
  return out;
}

function delayOf(message: SavedMessage): number {
  // Saved without a deadline, but a file edited by hand may add one: the receive that hid it is gone.
  if (message.hiddenUntil === undefined || message.inFlight === true) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((message.hiddenUntil - Date.now()) / 1000)));
}
