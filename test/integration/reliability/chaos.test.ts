import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { RecordResult } from '../../../functions/forwarder/forward';
import type { EndpointResult } from '../../../functions/forwarder/ports';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { realisticLeads } from '../../support/bench-leads';
import { createQueues, sqsClient, startDynalite, type LocalDynamo, type TestQueues } from '../../support/local-aws';
import { recordFigures } from '../../support/reliability-figures';
import { deadLetters, drainWith, endpoint } from '../../support/reliability-forwarder';
import { unitFromKey } from '../../support/reliability-random';
import { audit, startRecordingReceiver, type Behaviour, type RecordingReceiver } from '../../support/reliability-receiver';
import { createStateTable } from '../../support/tables';

/**
 * Webhook chaos: three receivers that answer each attempt, by a seeded draw, with 2xx, 429,
 * 500, 503, a reset connection, a slow answer or no answer within the timeout. The real
 * forwarder (several instances, retries through SQS visibility) must get every lead accepted
 * by every endpoint, never send one again after a 2xx it saw, stay within a bounded number of
 * attempts, and park nothing.
 */

const SEED = 6;
const LEADS = 1_000;
const MAX_RECEIVE_COUNT = 25;
/**
 * The endpoints' timeout. Slow answers stay far inside it and hangs outside it: on a loaded
 * two-core machine a tighter one lets the sender give up on an answer the receiver already
 * wrote, a duplicate that is the at-least-once nature of timeouts, not the forwarder's logic
 * (1.5 s met it 3 times in 3,000 on CI, event-loop lag p99 205 ms; hundreds at a load of 10).
 */
const TIMEOUT_MS = 3_000;
/** The drain's limit: 23 s on a quiet machine, 68 s on a loaded CI one. A drain cut off reports leads as lost. */
const DRAIN_LIMIT_MS = 200_000;
const INSTANCES = 5;

let dynamo: LocalDynamo;
let sqs: SQSClient;
let table: string;
let queues: TestQueues;
const receivers: RecordingReceiver[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  sqs = sqsClient();
  table = await createStateTable(dynamo.client);
  queues = await createQueues(sqs, { maxReceiveCount: MAX_RECEIVE_COUNT, visibilityTimeout: 30 });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await dynamo.close();
  sqs.destroy();
});

/** The same (endpoint, lead, attempt) always gets the same answer, whatever the arrival order. */
function chaos(name: string): (webhookId: string, attempt: number) => Behaviour {
  return (webhookId, attempt) => {
    const u = unitFromKey(SEED, name, webhookId, attempt);
    const slow = 30 + Math.floor(unitFromKey(SEED, 'delay', name, webhookId, attempt) * 90);
    if (u < 0.4) return { kind: 'answer', status: 200 };
    if (u < 0.46) return { kind: 'answer', status: 201 };
    if (u < 0.5) return { kind: 'answer', status: 204 };
    if (u < 0.58) return { kind: 'answer', status: 200, delayMs: slow };
    if (u < 0.66) return { kind: 'answer', status: 429, headers: { 'retry-after': '1' } };
    if (u < 0.74) return { kind: 'answer', status: 500 };
    if (u < 0.82) return { kind: 'answer', status: 503 };
    if (u < 0.9) return { kind: 'reset' };
    // Hangs cost a whole timeout each: rare, and only on early attempts.
    if (u < 0.915 && attempt <= 2) return { kind: 'hang', ms: TIMEOUT_MS * 2 };
    return { kind: 'answer', status: 503, delayMs: slow };
  };
}

function senderTimeouts(records: RecordResult[], key: string): number {
  return attemptsOf(records, key).filter((e) => e.reason?.startsWith('timeout') === true).length;
}

/** What the forwarder's records say about one `lead_<id>@<endpoint>` key. */
function attemptsOf(records: RecordResult[], key: string): EndpointResult[] {
  const [webhookId, name] = key.split('@') as [string, string];
  const id = webhookId.replace(/^lead_/, '');
  return records
    .filter((r) => r.leadId === id)
    .flatMap((r) => r.endpoints)
    .filter((e) => e.endpoint === name);
}

/**
 * A receiver that got a lead twice is at-least-once delivery's one honest case when the sender
 * timed out on a 2xx the receiver had already written (it never saw it, so it sent again, with
 * the same webhook-id for the receiver to drop). Under load that happens: a 1.5-s budget is a
 * few event-loop turns on a busy two-core machine. Anything else is the forwarder's fault: it
 * saw two acceptances, sent again after the 2xx it saw (a request after the latest 2xx), or
 * accepted more times than it timed out. Returns why a duplicate is not that case, or undefined.
 */
function unexplained(records: RecordResult[], receiver: RecordingReceiver, key: string): string | undefined {
  const record = receiver.leads.get(key.split('@')[0]!);
  if (record === undefined) return 'never received';
  const seen = attemptsOf(records, key).filter((e) => e.state === 'delivered').length;
  const timeouts = senderTimeouts(records, key);
  if (seen !== 1) return `the forwarder saw ${seen} acceptances`;
  if (record.sinceLastAccept > 0) return `${record.sinceLastAccept} request(s) after the latest 2xx`;
  if (record.accepted - 1 > timeouts) return `${record.accepted} acceptances but ${timeouts} sender timeouts`;
  return undefined;
}

it(
  'receivers answering 2xx/429/500/503, resetting, stalling and hanging at random: every lead accepted by every endpoint, never sent again after a 2xx the forwarder saw, retries bounded, DLQ empty',
  async () => {
    const names = ['crm', 'erp', 'bot'] as const;
    const byName: Record<string, RecordingReceiver> = {};
    for (const name of names) {
      byName[name] = await startRecordingReceiver(chaos(name));
      receivers.push(byName[name]);
    }
    const leads = realisticLeads(LEADS, { startId: '70000', seed: SEED });
    await new SqsLeadQueue(sqs, queues.queueUrl).enqueue(leads, new Date().toISOString());

    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const began = Date.now();
    const records = await drainWith(
      {
        ddb: dynamo.client,
        sqs,
        table,
        queues,
        endpoints: names.map((n) => endpoint(n, byName[n]!.url, TIMEOUT_MS)),
        maxReceiveCount: MAX_RECEIVE_COUNT,
        backoffSeconds: 0,
      },
      INSTANCES,
      { maxMs: DRAIN_LIMIT_MS },
    );
    const drainMs = Date.now() - began;
    lag.disable();

    const result = audit(
      byName,
      leads.map((l) => l.id),
    );
    const receivesPerMessage = new Map<string, number>();
    for (const r of records) receivesPerMessage.set(r.messageId, Math.max(receivesPerMessage.get(r.messageId) ?? 0, r.attempt));
    const behaviours: Record<string, number> = {};
    for (const r of receivers) for (const [k, v] of r.behaviours) behaviours[k] = (behaviours[k] ?? 0) + v;
    const parked = await deadLetters(sqs, queues.dlqUrl);
    const faults = result.duplicates.flatMap((key) => {
      const why = unexplained(records, byName[key.split('@')[1]!]!, key);
      return why === undefined ? [] : [`${key}: ${why} (${senderTimeouts(records, key)} sender timeouts)`];
    });
    recordFigures('chaos', {
      seed: SEED,
      leads: LEADS,
      endpoints: names.length,
      deliveries: result.deliveries,
      attempts: result.attempts,
      answers: behaviours,
      maxAttemptsPerDelivery: result.maxAttempts,
      maxReceivesPerMessage: Math.max(...receivesPerMessage.values()),
      losses: result.losses.length,
      duplicates: result.duplicates.length,
      duplicatesAfterSenderTimeout: result.duplicates.length - faults.length,
      parked: parked.length,
      drainMs,
      eventLoopLagMaxMs: Math.round(lag.max / 1e6),
      eventLoopLagP99Ms: Math.round(lag.percentile(99) / 1e6),
    });
    // Said first: a drain cut off by its limit leaves leads undelivered and records missing.
    expect({ drainMs, cutOff: drainMs >= DRAIN_LIMIT_MS }).toMatchObject({ cutOff: false });
    expect(result.losses).toEqual([]);
    expect(faults).toEqual([]);
    // A 2xx lost to the sender's timeout stays rare (0 on a quiet machine, 3 of 3,000 on a loaded CI one).
    expect(result.duplicates.length).toBeLessThanOrEqual((LEADS * names.length) / 100);
    // Every 2xx written is one lead once, or a re-send after a 2xx lost to a timeout (checked above).
    const extraAcceptances = result.duplicates.reduce((sum, key) => {
      const [webhookId, name] = key.split('@') as [string, string];
      return sum + (byName[name]!.leads.get(webhookId)!.accepted - 1);
    }, 0);
    expect(result.deliveries).toBe(LEADS * names.length + extraAcceptances);
    expect(parked).toEqual([]);
    // Bounded: no (lead, endpoint) took more than the receive budget, and the chaos was real.
    expect(result.maxAttempts).toBeLessThanOrEqual(MAX_RECEIVE_COUNT);
    expect(result.attempts).toBeGreaterThan(result.deliveries * 1.5);
    for (const kind of ['429', '500', '503', 'reset', 'hang']) expect(behaviours[kind] ?? 0).toBeGreaterThan(0);
  },
  DRAIN_LIMIT_MS + 60_000,
);
