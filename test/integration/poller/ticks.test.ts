import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { poll, type PollResult } from '../../../functions/poller/poll';
import { scheduledPoll, tickPolls, type TickDeps } from '../../../functions/poller/tick-runner';
import { decodeTick, TickGate, type Tick } from '../../../functions/poller/ticks';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { DynamoStateStore, sourceKey } from '../../../functions/shared/aws/scan-state';
import { SqsTickQueue } from '../../../functions/shared/aws/tick-queue';
import { TopClient } from '../../../functions/shared/taobao/client';
import { TopLeadSource } from '../../../functions/shared/taobao/lead-source';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { localAwsPerTest, sqsClient } from '../../support/local-aws';
import { counts, takeLeadIds } from '../../support/queue-contents';

/**
 * The sub-minute fan-out (functions/poller/ticks.ts, tick-runner.ts) against fauxqs: the ticks
 * go through a real tick queue, the polls through the simulated gateway, dynalite and the leads
 * queue. Delays are read from what was sent to SQS and checked against when SQS hands the tick
 * out, with one short real wait instead of a real minute.
 */

const aws = localAwsPerTest();
let gateway: SimulatedGateway | undefined;
let tickSqs: SQSClient;
let tickQueueUrl: string;
/** DelaySeconds and bodies of every entry sent to the tick queue, as sent. */
let sent: { delaySeconds: number; tick: Tick }[];

beforeEach(async () => {
  sent = [];
  tickSqs = sqsClient();
  tickSqs.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Entries?: { DelaySeconds?: number; MessageBody?: string }[] } | undefined;
      if (Array.isArray(input?.Entries))
        for (const entry of input.Entries) {
          try {
            sent.push({ delaySeconds: entry.DelaySeconds ?? 0, tick: decodeTick(entry.MessageBody ?? '') });
          } catch {
            // Not a tick (the test that puts such messages on the queue checks what becomes of them).
          }
        }
      return next(args);
    },
    { step: 'initialize', name: 'recordTicks' },
  );
  // As on the stack: a visibility timeout no shorter than the poller's timeout, so a tick is not redelivered while its poll runs.
  const created = await tickSqs.send(
    new CreateQueueCommand({ QueueName: `ticks-${randomUUID().slice(0, 8)}`, Attributes: { VisibilityTimeout: '90' } }),
  );
  tickQueueUrl = created.QueueUrl!;
});

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  tickSqs.destroy();
});

async function startGateway(count: number, latencyMs = 0): Promise<SimulatedGateway> {
  gateway = await startSimulatedGateway({ leads: generateLeads(count, { startId: '5000' }), latencyMs });
  return gateway;
}

/** One real poll cycle against the gateway, as the handler runs it (a short budget: a ban is not waited out). */
function pollWith(gw: SimulatedGateway, budgetMs = 20_000): (started: number) => Promise<PollResult> {
  const client = new TopClient({
    appKey: gw.appKey,
    appSecret: gw.appSecret,
    sessionKey: gw.sessionKey,
    gatewayUrl: gw.url,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
  });
  const deps = {
    source: new TopLeadSource(client),
    state: new DynamoStateStore(aws.dynamo.client, aws.table, sourceKey(gw.appKey)),
    queue: new SqsLeadQueue(aws.sqs, aws.queues.queueUrl),
  };
  return (started) => poll(deps, { pageSize: 100, startFrom: { kind: 'all' }, deadline: started + budgetMs });
}

const logged: { message: string; fields: Record<string, unknown> }[] = [];
const log = {
  info: (message: string, fields: Record<string, unknown>) => logged.push({ message, fields }),
  warn: (message: string, fields: Record<string, unknown>) => logged.push({ message, fields }),
};

function tickDeps(intervalSeconds: number, overrides: Partial<TickDeps> = {}): TickDeps {
  return { gate: new TickGate(), tickQueue: new SqsTickQueue(tickSqs, tickQueueUrl), intervalSeconds, log, ...overrides };
}

async function queueDepths(): Promise<{ visible: number; delayed: number }> {
  const { Attributes = {} } = await tickSqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: tickQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
}

/** Receives what the tick queue hands out within `waitSeconds`, deleting it (as the event source does after a successful invocation). */
async function receiveTicks(waitSeconds: number): Promise<{ messageId: string; body: string; receivedAt: number }[]> {
  const { Messages = [] } = await tickSqs.send(
    new ReceiveMessageCommand({ QueueUrl: tickQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
  );
  const receivedAt = Date.now();
  await Promise.all(
    Messages.map((m: Message) =>
      tickSqs.send(new DeleteMessageCommand({ QueueUrl: tickQueueUrl, ReceiptHandle: m.ReceiptHandle! })),
    ),
  );
  return Messages.map((m) => ({ messageId: m.MessageId!, body: m.Body ?? '', receivedAt }));
}

/** Puts ticks on the tick queue directly, without delay (a duplicate, or one that arrives late). */
async function putTicks(...ticks: Tick[]): Promise<void> {
  await new SqsTickQueue(tickSqs, tickQueueUrl).send(ticks.map((tick) => ({ tick, delaySeconds: 0 })));
}

/** Same length, and each value within `tolerance` of the expected one (a delay is rounded to whole seconds). */
function within(values: number[], expected: number[], tolerance: number): boolean {
  return values.length === expected.length && values.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}

const noFanOut = (deps: TickDeps): TickDeps => {
  const { tickQueue: _tickQueue, ...rest } = deps;
  return rest;
};

const leadListCalls = (gw: SimulatedGateway): number =>
  gw.requests.filter((r) => r.method === 'taobao.mama.crm.lead.list').length;

describe('sub-minute polling through the tick queue (fauxqs)', () => {
  it('at rate(10 seconds) a minute makes six polls, ten seconds apart: the scheduled one and five delayed ticks', async () => {
    const gw = await startGateway(3);
    const deps = tickDeps(10);
    const before = Date.now();
    const first = await scheduledPoll(deps, pollWith(gw));
    expect(first.enqueued).toBe(3);

    // What went to SQS: five ticks, due 10…50 s after the scheduled poll started, each delayed until it is due.
    expect(sent).toHaveLength(5);
    const minuteStart = sent[0]!.tick.due - 10_000;
    expect(minuteStart).toBeGreaterThanOrEqual(before);
    const dues = [minuteStart, ...sent.map((s) => s.tick.due)];
    expect(dues.slice(1).map((due, i) => due - dues[i]!)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    for (const s of sent) expect(Math.abs(s.delaySeconds * 1000 - (s.tick.due - Date.now()))).toBeLessThanOrEqual(1_500);
    expect(
      within(
        sent.map((s) => s.delaySeconds),
        [10, 20, 30, 40, 50],
        1,
      ),
    ).toBe(true);

    // What SQS does with them: all five held back, and the first handed out about ten seconds in.
    expect(await queueDepths()).toEqual({ visible: 0, delayed: 5 });
    let firstTicks: Awaited<ReturnType<typeof receiveTicks>> = [];
    while (firstTicks.length === 0 && Date.now() - minuteStart < 14_000) firstTicks = await receiveTicks(2);
    expect(firstTicks).toHaveLength(1);
    const arrived = firstTicks[0]!.receivedAt - minuteStart;
    expect(arrived).toBeGreaterThanOrEqual(9_000);
    expect(arrived).toBeLessThanOrEqual(12_500);
    expect(decodeTick(firstTicks[0]!.body).due).toBe(minuteStart + 10_000);
    expect(await queueDepths()).toEqual({ visible: 0, delayed: 4 });

    // The tick polls; a lead that appeared meanwhile is enqueued by it.
    gw.addLeads(generateLeads(1, { startId: '9000' }));
    const [outcome] = await tickPolls(deps, firstTicks, pollWith(gw));
    expect(outcome).toMatchObject({ poll: { enqueued: 1 } });
    expect(outcome!.dropped).toBeUndefined();

    // The other four, handed to the poller as SQS would at their due times (a clock set to each), each poll once.
    for (const s of sent.slice(1)) {
      const outcomes = await tickPolls(
        { ...deps, now: () => s.tick.due + 300 },
        [{ messageId: randomUUID(), body: JSON.stringify({ due: new Date(s.tick.due).toISOString(), every: 10 }) }],
        pollWith(gw),
      );
      expect(outcomes[0]!.poll).toBeDefined();
    }
    expect(leadListCalls(gw)).toBe(6);
    expect(new Set(await takeLeadIds(aws.sqs, aws.queues.queueUrl)).size).toBe(4);
  }, 30_000);

  it('at rate(5 seconds) the minute takes eleven ticks (two SendMessageBatch calls); at a minute or slower, none', async () => {
    const gw = await startGateway(1);
    await scheduledPoll(tickDeps(5), pollWith(gw));
    expect(sent.map((s) => s.tick.due - sent[0]!.tick.due)).toEqual(
      [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50].map((s) => s * 1000),
    );
    expect(await queueDepths()).toEqual({ visible: 0, delayed: 11 });
    sent = [];
    await scheduledPoll(tickDeps(60), pollWith(gw));
    await scheduledPoll(tickDeps(300), pollWith(gw));
    expect(sent).toEqual([]);
  });

  it('a duplicated tick polls once; a late tick is dropped; a missed tick loses no lead', async () => {
    const gw = await startGateway(5);
    const deps = tickDeps(10);
    await scheduledPoll(noFanOut(deps), pollWith(gw));
    const callsAfterFirst = leadListCalls(gw);

    // SQS delivers at least once: the same tick twice.
    const due = Date.now();
    gw.addLeads(generateLeads(2, { startId: '9000' }));
    await putTicks({ due, every: 10 }, { due, every: 10 });
    const twice = await receiveTicks(1);
    expect(twice).toHaveLength(2);
    const outcomes = await tickPolls(deps, twice, pollWith(gw));
    expect(outcomes.map((o) => o.dropped ?? 'polled')).toEqual(['polled', 'duplicate']);
    expect(leadListCalls(gw)).toBe(callsAfterFirst + 1);

    // A tick that comes more than an interval after it was due (throttled, redelivered): dropped, no
    // call, even in a container that has not polled for it (older than the last poll, it is a duplicate here).
    await putTicks({ due: Date.now() - 25_000, every: 10 });
    const late = await receiveTicks(1);
    expect((await tickPolls({ ...deps, gate: new TickGate() }, late, pollWith(gw))).map((o) => o.dropped)).toEqual(['late']);
    expect((await tickPolls(deps, late, pollWith(gw))).map((o) => o.dropped)).toEqual(['duplicate']);
    expect(leadListCalls(gw)).toBe(callsAfterFirst + 1);

    // Ticks never sent (the fan-out failed, SQS lost them): leads that appeared meanwhile come with the next poll.
    gw.addLeads(generateLeads(3, { startId: '9100' }));
    await scheduledPoll(noFanOut(deps), pollWith(gw));

    // The same tick again in a fresh container (its gate knows nothing): one harmless extra poll that enqueues nothing.
    await putTicks({ due, every: 10 });
    const fresh = await tickPolls({ ...deps, gate: new TickGate(), now: () => due + 1_000 }, await receiveTicks(1), pollWith(gw));
    expect(fresh[0]!.poll).toMatchObject({ enqueued: 0 });

    const queued = await takeLeadIds(aws.sqs, aws.queues.queueUrl);
    expect([...counts(queued)].filter(([, n]) => n !== 1)).toEqual([]);
    expect(new Set(queued)).toEqual(new Set(gw.leads.map((l) => l.id)));
  });

  it('a tick that arrives while a poll runs is dropped (acknowledged), not run beside it nor queued up behind it', async () => {
    const gw = await startGateway(2, 1_500);
    const deps = noFanOut(tickDeps(10));
    const running = scheduledPoll(deps, pollWith(gw));
    await sleep(300);
    await putTicks({ due: Date.now(), every: 10 });
    const during = await tickPolls(deps, await receiveTicks(1), pollWith(gw));
    expect(during.map((o) => o.dropped)).toEqual(['busy']);
    await running;
    expect(leadListCalls(gw)).toBe(1);
    // Nothing left behind to run later: the dropped tick was deleted like any handled message.
    expect(await queueDepths()).toEqual({ visible: 0, delayed: 0 });
    // The next tick, after the poll, polls.
    await putTicks({ due: Date.now(), every: 10 });
    const after = await tickPolls(deps, await receiveTicks(1), pollWith(gw));
    expect(after[0]!.poll).toBeDefined();
    expect(leadListCalls(gw)).toBe(2);
  });

  it('a rate-limit ban (code 7) pauses the fan-out: no tick due before it ends is sent, and ticks already sent do not call TOP', async () => {
    const gw = await startGateway(2);
    const deps = tickDeps(10);
    gw.queueFault({ kind: 'rate-limit', banSeconds: 30 });
    // A budget too short to wait out the ban: the poll stops with the cursor where it was.
    const banned = await scheduledPoll(deps, pollWith(gw, 3_000));
    expect(banned).toMatchObject({ stoppedEarly: 'rate-limited', retryAfterMs: 31_000, enqueued: 0 });
    // The ban ends 31 s in: only the ticks due at 40 and 50 s are sent.
    const minuteStart = sent[0]!.tick.due - 40_000;
    expect(sent.map((s) => s.tick.due - minuteStart)).toEqual([40_000, 50_000]);
    expect(
      within(
        sent.map((s) => s.delaySeconds),
        [40, 50],
        1,
      ),
    ).toBe(true);

    // A tick of an earlier fan-out that arrives during the ban: dropped without a call.
    const calls = leadListCalls(gw);
    await putTicks({ due: Date.now(), every: 10 });
    expect((await tickPolls(deps, await receiveTicks(1), pollWith(gw))).map((o) => o.dropped)).toEqual(['paused']);
    expect(leadListCalls(gw)).toBe(calls);

    // After the ban, a tick polls and gets every lead.
    const afterBan = await tickPolls(
      { ...deps, now: () => minuteStart + 40_000 + 200 },
      [{ messageId: 'm', body: JSON.stringify({ due: new Date(minuteStart + 40_000).toISOString(), every: 10 }) }],
      pollWith(gw),
    );
    expect(afterBan[0]!.poll).toMatchObject({ enqueued: 2 });
  });

  it('a message on the tick queue that is not a tick is dropped with a warning, and nothing polls', async () => {
    const gw = await startGateway(1);
    await tickSqs.send(
      new SendMessageBatchCommand({
        QueueUrl: tickQueueUrl,
        Entries: [
          { Id: '0', MessageBody: 'not json' },
          { Id: '1', MessageBody: '{"due":"yesterday","every":10}' },
          { Id: '2', MessageBody: '{"due":"2026-12-01T00:00:00Z","every":0}' },
        ],
      }),
    );
    const outcomes = await tickPolls(tickDeps(10), await receiveTicks(1), pollWith(gw));
    expect(outcomes.map((o) => o.dropped)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(leadListCalls(gw)).toBe(0);
  });
});
