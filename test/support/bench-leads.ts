import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { SEEN_AT_ATTRIBUTE } from '../../functions/shared/domain/lead-message';
import { normalizeLead, type Lead } from '../../functions/shared/domain/lead';
import { generateLeads, type GenerateLeadsOptions } from '../../functions/local/simulators/alimama-gateway';

/** Realistic leads as the poller puts them on the queue: the simulator's sample records, normalized. */
export function realisticLeads(count: number, options: GenerateLeadsOptions = {}): Lead[] {
  return generateLeads(count, options).map((record) => {
    const result = normalizeLead(record);
    if (!result.ok) throw new Error(`sample lead did not normalize: ${result.problem}`);
    return result.lead;
  });
}

/** An SQS event as Lambda's event source hands it to the forwarder, one record per lead. */
export function sqsEvent(leads: readonly Lead[], seenAt = new Date().toISOString()): SQSEvent {
  const now = String(Date.now());
  return {
    Records: leads.map((lead, i): SQSRecord => ({
      messageId: `bench-${lead.id}-${i}`,
      // The forwarder only uses the handle to delay a retry; these events are delivered first time.
      receiptHandle: `bench-handle-${lead.id}`,
      body: JSON.stringify(lead),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'bench', ApproximateFirstReceiveTimestamp: now },
      messageAttributes: {
        [SEEN_AT_ATTRIBUTE]: { dataType: 'String', stringValue: seenAt, stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
      awsRegion: 'us-east-1',
    })),
  };
}
