import { setTimeout } from 'node:timers/promises';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { LeadQueue } from '../../poller/ports';
import { EnqueueError } from '../domain/errors';
import type { Lead } from '../domain/lead';
import { encodeLeadBody, SEEN_AT_ATTRIBUTE } from '../domain/lead-message';

/** SQS takes at most ten entries per SendMessageBatch. */
const BATCH = 10;
/** Batches in flight at once: a 100-lead page goes out in one round trip. */
const PARALLEL_BATCHES = 10;
/** Retries of entries SQS reported as failed, before the page is given up (and the scan not advanced). */
const ENTRY_RETRIES = 3;
const RETRY_BASE_MS = 100;

/** Puts leads on the leads queue, one message per lead (body = the normalized lead). */
export class SqsLeadQueue implements LeadQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(leads: Lead[], seenAt: string): Promise<void> {
    const batches: Lead[][] = [];
    for (let i = 0; i < leads.length; i += BATCH) batches.push(leads.slice(i, i + BATCH));
    const failed: string[] = [];
    for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
      const results = await Promise.allSettled(
        batches.slice(i, i + PARALLEL_BATCHES).map((batch) => this.sendBatch(batch, seenAt)),
      );
      results.forEach((result, j) => {
        if (result.status === 'rejected') failed.push(...batches[i + j]!.map((lead) => lead.id));
        else failed.push(...result.value);
      });
    }
    if (failed.length > 0) {
      throw new EnqueueError(
        `${failed.length} of ${leads.length} leads could not be put on the queue (ids ${failed.slice(0, 10).join(', ')}${failed.length > 10 ? ', …' : ''}); the scan state was not advanced, so the next poll re-sends them`,
        failed,
      );
    }
  }

  /** Sends one batch, retrying the entries SQS rejected; returns the ids that never made it. */
  private async sendBatch(batch: Lead[], seenAt: string): Promise<string[]> {
    let entries: SendMessageBatchRequestEntry[] = batch.map((lead, index) => ({
      Id: String(index),
      MessageBody: encodeLeadBody(lead),
      MessageAttributes: { [SEEN_AT_ATTRIBUTE]: { DataType: 'String', StringValue: seenAt } },
    }));
    for (let attempt = 0; ; attempt += 1) {
      const { Failed = [] } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      if (Failed.length === 0) return [];
      const failedIds = new Set(Failed.map((f) => f.Id));
      entries = entries.filter((entry) => failedIds.has(entry.Id));
      if (attempt >= ENTRY_RETRIES) return entries.map((entry) => batch[Number(entry.Id)]!.id);
      await setTimeout(RETRY_BASE_MS * 2 ** attempt);
    }
  }
}
