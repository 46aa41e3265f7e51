import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { abortableSleep } from '../../shared/domain/abortable-sleep';
import type { BatchResult } from '../../forwarder/forward';
import type { ReceiveClaims } from './receive-claims';
import { BATCH_SIZE } from './resources';
import { failedIds, toSqsRecord } from './sqs-event';
import type { QueueRef } from '../emulators/sqs-server';

/** What one forwarder invocation came to, as the event source sees it. */
export interface BatchReport {
  records: SQSRecord[];
  /** Message ids left on the queue (reported failures, or all when the function threw). */
  failed: Set<string>;
  /** When the invocation started (epoch ms): deliveries recorded after it are this batch's. */
  startedAt: number;
  /** What the forwarder says it did with each record; absent when it threw. */
  result?: BatchResult;
  /** The function threw: every record stays on the queue. */
  error?: unknown;
}

/** One function container's invocation: Lambda's response, and the forwarder's own account of it. */
export type Invoke = (event: SQSEvent) => Promise<{ response: SQSBatchResponse; result?: BatchResult }>;

export interface EventSourceOptions {
  sqs: SQSClient;
  queue: QueueRef;
  region: string;
  /**
   * One per container: each polls and handles one batch at a time, so the containers are the
   * batches in flight at once, as Lambda scales an SQS event source up to the function's
   * maximum concurrency.
   */
  containers: readonly Invoke[];
  /** Long-poll wait. Short, because a stop waits for the receive in progress (see stop()). */
  waitSeconds: number;
  /** Pause after an empty receive (cut short by stop()); with `waitSeconds: 0` it paces short polls. */
  idleMs?: number;
  /**
   * When set, a record left on the queue comes back after this many seconds, whatever backoff
   * the forwarder chose: `--once` fast-forwards the retry clock instead of waiting minutes.
   */
  retrySeconds?: number;
  /** Told which messages are being handled, from the receive until the batch is settled. */
  claims?: Pick<ReceiveClaims, 'claim' | 'release'>;
  onBatch(report: BatchReport): Promise<void>;
  onError(error: unknown): void;
}

/**
 * Lambda's SQS event source on one machine: per container, receive up to ten messages (long
 * poll, every attribute), invoke the function with an SQSEvent, delete every record not
 * reported in `batchItemFailures`. Retries and parking are the forwarder's own doing
 * (visibility, DLQ).
 */
export class SqsEventSource {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Batches being forwarded right now (at most one per container). */
  private busy = 0;
  /** Aborted by stop(), to cut a pause short; a new one for each start(). */
  private stopping = new AbortController();

  constructor(private readonly opts: EventSourceOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.loop = Promise.all(this.opts.containers.map((invoke) => this.run(invoke))).then(() => undefined);
  }

  /** True while a batch is being forwarded. */
  get inFlight(): boolean {
    return this.busy > 0;
  }

  /**
   * Stops receiving and waits for the batches in flight to finish. A receive in progress is
   * let run out rather than aborted: an aborted receive can still take messages off the queue
   * on the server, and they would stay hidden for the whole visibility timeout.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.loop;
  }

  private async run(invoke: Invoke): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.once(invoke))) await this.pause(this.opts.idleMs ?? 0);
      } catch (error) {
        this.opts.onError(error);
        await this.pause(1_000);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0 || !this.running) return Promise.resolve();
    return abortableSleep(ms, this.stopping.signal);
  }

  /** One receive and, if it brought messages, one invocation; false when the queue had none. */
  private async once(invoke: Invoke): Promise<boolean> {
    const { sqs, queue } = this.opts;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: BATCH_SIZE,
        WaitTimeSeconds: this.opts.waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return false;
    this.busy += 1;
    try {
      const records = Messages.map((message) => toSqsRecord(message, queue, this.opts.region));
      const handles = records.map((record) => record.receiptHandle);
      // Before the invocation, so that every deadline recorded is the receive's own.
      this.opts.claims?.claim(handles);
      const startedAt = Date.now();
      let report: BatchReport;
      try {
        try {
          const { response, result } = await invoke({ Records: records });
          report = { records, failed: failedIds(records, response), startedAt };
          if (result !== undefined) report.result = result;
        } catch (error) {
          report = { records, failed: failedIds(records, undefined), startedAt, error };
        }
        await this.settle(report);
      } finally {
        this.opts.claims?.release(handles);
      }
      await this.opts.onBatch(report);
      return true;
    } finally {
      this.busy -= 1;
    }
  }

  private async settle(report: BatchReport): Promise<void> {
    const { sqs, queue, retrySeconds } = this.opts;
    const done = report.records.filter((record) => !report.failed.has(record.messageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
    const failed = report.records.filter((record) => report.failed.has(record.messageId));
    if (retrySeconds !== undefined && failed.length > 0) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: failed.map((record, i) => ({
            Id: String(i),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: retrySeconds,
          })),
        }),
      );
    }
  }
}
