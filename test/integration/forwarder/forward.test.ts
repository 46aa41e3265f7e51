import { LEADS_RETENTION_SECONDS } from '../../../functions/local/runner/resources';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { createDeliver } from '../../../functions/forwarder/deliver';
import { forwardBatch } from '../../../functions/forwarder/forward';
import type { ForwardDeps, Ledger } from '../../../functions/forwarder/ports';
import { DynamoEndpointStatus, endpointKey } from '../../../functions/shared/aws/endpoint-status';
import { SqsForwarderQueue } from '../../../functions/shared/aws/forwarder-queue';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { createDynamoClient } from '../../../functions/shared/aws/clients';
import { DynamoLedger, ledgerKey } from '../../../functions/shared/aws/ledger';
import type { Lead } from '../../../functions/shared/domain/lead';
import type { Endpoint } from '../../../functions/shared/domain/settings';
import { createDispatcher } from '../../../functions/shared/webhook/sender';
import { drain, receive } from '../../support/forwarder-loop';
import { deadLetters, type ParkedMessage } from '../../support/reliability-forwarder';
import { createQueues, sqsClient, startDynalite, type LocalDynamo, type TestQueues } from '../../support/local-aws';
import { startReceiver, type Answer, type Receiver } from '../../support/receiver';
import { createStateTable } from '../../support/tables';
import { startThrottlingProxy } from '../../support/throttling-proxy';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const dispatcher = createDispatcher();
let dynamo: LocalDynamo;
let sqs: SQSClient;
let table: string;
let queues: TestQueues;
const receivers: Receiver[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  sqs = sqsClient();
});
afterAll(async () => {
  await dynamo.close();
  sqs.destroy();
  await dispatcher.close();
});
beforeEach(async () => {
  table = await createStateTable(dynamo.client);
  queues = await createQueues(sqs, { maxReceiveCount: 10 });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(answer?: (n: number) => Answer): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

function endpoint(name: string, r: Receiver, extra: Partial<Endpoint> = {}): Endpoint {
  return { name, url: r.url, secrets: [SECRET], headers: {}, format: 'standard', timeoutMs: 2_000, ...extra };
}

function deps(endpoints: Endpoint[], extra: Partial<ForwardDeps> = {}): ForwardDeps {
  return {
    endpoints,
    ledger: new DynamoLedger(dynamo.client, table),
    endpointStatus: new DynamoEndpointStatus(dynamo.client, table),
    queue: new SqsForwarderQueue(sqs, queues.queueUrl, queues.dlqUrl),
    deliver: createDeliver(dispatcher),
    maxReceiveCount: 10,
    leadsRetentionSeconds: LEADS_RETENTION_SECONDS,
    concurrency: 10,
    // Tests keep retries quick: honour Retry-After, otherwise retry at once.
    backoffSeconds: (_attempt, retryAfter) => retryAfter ?? 0,
    ...extra,
  };
}

const leads = (n: number, from = 1): Lead[] =>
  Array.from({ length: n }, (_, i) => ({
    id: String(from + i),
    name: '**三',
    mobile: 'Pci/6KXf',
    mobile_encrypted: true,
    page_name: '新半价2',
  }));

async function enqueue(list: Lead[]): Promise<void> {
  await new SqsLeadQueue(sqs, queues.queueUrl).enqueue(list, '2026-11-29T06:00:00.000Z');
}

/** Everything parked in the DLQ (read once per test: it hides what it read). */
const dlqMessages = (): Promise<ParkedMessage[]> => deadLetters(sqs, queues.dlqUrl);

describe('forwarder (dynalite + fauxqs + node:http receivers)', () => {
  it('delivers every lead once to every endpoint, each delivery verifiable with the standardwebhooks library', async () => {
    const a = await receiver();
    const b = await receiver();
    await enqueue(leads(25));
    await drain(deps([endpoint('a', a), endpoint('b', b)]), sqs, queues.queueUrl);
    expect([...a.accepted].sort()).toEqual(
      leads(25)
        .map((l) => l.id)
        .sort(),
    );
    expect([...b.accepted].sort()).toEqual(
      leads(25)
        .map((l) => l.id)
        .sort(),
    );
    const wh = new Webhook(SECRET);
    for (const request of a.requests) {
      const headers = {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      };
      expect(() => wh.verify(request.body, headers)).not.toThrow();
      expect(headers['webhook-id']).toMatch(/^lead_\d+$/);
      expect(request.json).toMatchObject({ type: 'lead.created', timestamp: '2026-11-29T06:00:00.000Z' });
    }
  });

  it('three endpoints, one answering 503 three times: the others get each lead once, the failing one once after recovery, Retry-After honoured', async () => {
    const ok1 = await receiver();
    const ok2 = await receiver();
    const flaky = await receiver((n) => (n < 3 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    await enqueue(leads(1, 500));
    const started = Date.now();
    const results = await drain(
      deps([endpoint('ok1', ok1), endpoint('ok2', ok2), endpoint('flaky', flaky)]),
      sqs,
      queues.queueUrl,
      { idleMs: 2_500 },
    );
    expect(ok1.accepted).toEqual(['500']);
    expect(ok2.accepted).toEqual(['500']);
    expect(flaky.requests).toHaveLength(4);
    expect(flaky.accepted).toEqual(['500']);
    expect(results.filter((r) => r.kind === 'retry').map((r) => r.delaySeconds)).toEqual([1, 1, 1]);
    // Three retries each hidden for Retry-After: 1 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(await dlqMessages()).toEqual([]);
  });

  it('410 marks the endpoint gone, parks its leads for replay, and never touches the other endpoint twice', async () => {
    const good = await receiver();
    const gone = await receiver(() => ({ status: 410 }));
    const d = deps([endpoint('good', good), endpoint('gone', gone)]);
    await enqueue(leads(3, 10));
    await drain(d, sqs, queues.queueUrl);
    const seenByGone = gone.requests.length; // one batch is in flight at once: at most its three
    expect(seenByGone).toBeLessThanOrEqual(3);
    await enqueue(leads(2, 13));
    await drain(d, sqs, queues.queueUrl);
    expect(gone.requests).toHaveLength(seenByGone); // after the 410 nothing more is sent there
    expect([...good.accepted].sort()).toEqual(['10', '11', '12', '13', '14']);
    const item = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: endpointKey('gone') } } }));
    expect(item.Item?.goneAt?.S).toBeDefined();
    const parked = await dlqMessages();
    expect(parked).toHaveLength(5);
    expect(parked.filter((m) => m.endpoints !== 'gone' || !/410|gone/i.test(m.reason ?? ''))).toEqual([]);
  });

  it('an endpoint that went (410) after it accepted a lead: that lead, back for another endpoint, is not parked for it', async () => {
    const first = await receiver((n) => ({ status: n === 0 ? 200 : 410 }));
    const flaky = await receiver((n) => (n === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    const endpoints = [endpoint('first', first), endpoint('flaky', flaky)];
    const d = deps(endpoints);
    await enqueue(leads(1, 600));
    const once = await forwardBatch(d, await receive(sqs, queues.queueUrl));
    expect(once.records[0]?.endpoints.map((e) => e.state)).toEqual(['delivered', 'retry']);
    // What a 410 to another lead does meanwhile.
    await d.endpointStatus.markGone(endpoints[0]!, new Date());
    const rest = await drain(d, sqs, queues.queueUrl, { idleMs: 2_500 });
    expect(rest.map((r) => r.endpoints.map((e) => e.state))).toEqual([['already-delivered', 'delivered']]);
    expect(first.accepted).toEqual(['600']);
    expect(first.requests).toHaveLength(1);
    expect(flaky.accepted).toEqual(['600']);
    expect(await dlqMessages()).toEqual([]);
  });
  it('400 parks the lead in the DLQ with the reason, body intact; a replay reaches only the endpoint that refused it', async () => {
    let refuse = true;
    const good = await receiver();
    // Receivers often echo the lead in a validation error: that must not reach logs or the ledger.
    const picky = await receiver(() => (refuse ? { status: 400, body: 'missing field phone for 张三' } : { status: 204 }));
    const d = deps([endpoint('good', good), endpoint('picky', picky)]);
    await enqueue(leads(1, 77));
    const results = await drain(d, sqs, queues.queueUrl);
    const parked = await dlqMessages();
    expect(parked).toHaveLength(1);
    expect(JSON.parse(parked[0]!.body)).toMatchObject({ id: '77', page_name: '新半价2' });
    expect(parked[0]!.reason).toMatch(/HTTP 400 from picky.*picky answered: missing field phone for 张三/);
    expect(picky.requests).toHaveLength(1);
    // What the handler logs (record and endpoint reasons) and what the ledger keeps: no body.
    expect(JSON.stringify(results)).toMatch(/HTTP 400 from picky/);
    expect(JSON.stringify(results.map((r) => ({ reason: r.reason, endpoints: r.endpoints.map((e) => e.reason) })))).not.toContain(
      '张三',
    );
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: ledgerKey('77', 'picky') } } }),
    );
    expect(Item?.reason?.S).toBe('HTTP 400 from picky');

    // Replay: the parked message goes back with its attributes; the receiver was fixed meanwhile.
    refuse = false;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.queueUrl,
        MessageBody: parked[0]!.body,
        MessageAttributes: { parked_reason: { DataType: 'String', StringValue: parked[0]!.reason! } },
      }),
    );
    await drain(d, sqs, queues.queueUrl);
    expect(good.accepted).toEqual(['77']);
    expect(picky.accepted).toEqual(['77']);
  });

  it('a message that exhausts its receives lands in the DLQ with its body intact and the reason', async () => {
    const down = await receiver(() => ({ status: 500, body: 'db down' }));
    await enqueue(leads(1, 9));
    await drain(deps([endpoint('down', down)], { maxReceiveCount: 3 }), sqs, queues.queueUrl);
    expect(down.requests).toHaveLength(3);
    const parked = await dlqMessages();
    expect(parked).toHaveLength(1);
    expect(JSON.parse(parked[0]!.body)).toMatchObject({ id: '9' });
    expect(parked[0]!.reason).toMatch(/gave up after 3 attempts.*500/);
  });

  it("a Retry-After that would carry a lead past the queue's retention parks it in the DLQ instead of letting SQS drop it", async () => {
    const busy = await receiver(() => ({ status: 503, headers: { 'retry-after': '86400' }, body: 'maintenance' }));
    await enqueue(leads(1, 31));
    // The lead has been on the queue for 3.5 of its 4 days: 12 h (the most one wait can be) is too long.
    const aged = () => Date.now() + 3.5 * 86_400_000;
    const results = await drain(
      deps([endpoint('busy', busy)], { now: aged, backoffSeconds: (_attempt, retryAfter) => Math.min(retryAfter ?? 0, 43_200) }),
      sqs,
      queues.queueUrl,
    );
    expect(busy.requests).toHaveLength(1);
    expect(results.map((r) => r.kind)).toEqual(['parked']);
    const parked = await dlqMessages();
    expect(parked).toHaveLength(1);
    expect(JSON.parse(parked[0]!.body)).toMatchObject({ id: '31' });
    expect(parked[0]!.reason).toMatch(
      /next one \(in 43200 s\) would come after the leads queue drops the lead.*HTTP 503 from busy/,
    );
  });

  it('the same wait on a young lead is a retry, not a park', async () => {
    const busy = await receiver((n) => (n === 0 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 }));
    await enqueue(leads(1, 32));
    const results = await drain(deps([endpoint('busy', busy)]), sqs, queues.queueUrl, { idleMs: 3_500 });
    expect(results.map((r) => r.kind)).toEqual(['retry', 'done']);
    expect(results[0]!.delaySeconds).toBe(2);
    expect(busy.accepted).toEqual(['32']);
    expect(await dlqMessages()).toEqual([]);
  });

  it('timeouts and connection resets are retried; a redirect is not followed and is permanent', async () => {
    const slow = await receiver((n) => (n === 0 ? { status: 200, delayMs: 1_500 } : { status: 200 }));
    const reset = await receiver((n) => (n === 0 ? 'reset' : { status: 200 }));
    const target = await receiver();
    const redirect = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    await enqueue(leads(1, 3));
    await drain(
      deps([endpoint('slow', slow, { timeoutMs: 300 }), endpoint('reset', reset), endpoint('redirect', redirect)]),
      sqs,
      queues.queueUrl,
      { idleMs: 2_500 },
    );
    // The first attempt timed out (the receiver's late 200 found the connection closed): sent again.
    expect(slow.requests).toHaveLength(2);
    expect(slow.accepted).toEqual(['3']);
    expect(reset.requests).toHaveLength(2);
    expect(reset.accepted).toEqual(['3']);
    expect(target.requests).toHaveLength(0);
    const parked = await dlqMessages();
    expect(parked).toHaveLength(1);
    expect(parked[0]!.endpoints).toBe('redirect');
  });

  it('a malformed message is parked with the reason and does not stop the batch', async () => {
    const r = await receiver();
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: '{not json' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: JSON.stringify({ id: 'abc' }) }));
    await enqueue(leads(2, 40));
    await drain(deps([endpoint('r', r)]), sqs, queues.queueUrl);
    expect([...r.accepted].sort()).toEqual(['40', '41']);
    const parked = await dlqMessages();
    expect(parked.map((m) => m.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/malformed.*not JSON/), expect.stringMatching(/malformed.*lead id/)]),
    );
    expect(parked).toHaveLength(2);
  });

  describe('one failing storage call (injected: dynalite and fauxqs cannot fail a single call on demand)', () => {
    const fault = new Error('ProvisionedThroughputExceededException: injected');
    /** The real ledger, except that the first `times` calls of `method` for (lead, endpoint) throw (after doing nothing). */
    function flakyLedger(method: 'claim' | 'delivered', leadId: string, endpointName: string, times: number): Ledger {
      const real = new DynamoLedger(dynamo.client, table);
      let failures = 0;
      const fails = (name: string, lead: string, where: string): boolean =>
        name === method && lead === leadId && where === endpointName && ++failures <= times;
      return {
        claim: (...args) => (fails('claim', args[0], args[1]) ? Promise.reject(fault) : real.claim(...args)),
        delivered: (...args) => (fails('delivered', args[0], args[1]) ? Promise.reject(fault) : real.delivered(...args)),
        rejected: (...args) => real.rejected(...args),
        release: (...args) => real.release(...args),
        wasDelivered: (...args) => real.wasDelivered(...args),
      };
    }
    const ledgerStatus = async (leadId: string, name: string): Promise<string | undefined> =>
      (await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: ledgerKey(leadId, name) } } }))).Item
        ?.status?.S;

    it('a ledger write throttled after a 2xx is retried by the SDK client, not by the forwarder: recorded, nothing reported', async () => {
      const a = await receiver();
      const key = ledgerKey('401', 'a');
      let throttles = 1;
      const proxy = await startThrottlingProxy(
        dynamo.endpoint,
        // The delivery is recorded by BatchWriteItem (grouped with others; see grouped-puts.ts).
        (target, body) => target.endsWith('.BatchWriteItem') && body.includes(`"${key}"`) && throttles-- > 0,
      );
      // The functions' own client configuration, pointed at the proxy.
      const ddb = createDynamoClient({
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      try {
        await enqueue(leads(3, 400));
        const results = await drain(deps([endpoint('a', a)], { ledger: new DynamoLedger(ddb, table) }), sqs, queues.queueUrl);
        expect(proxy.throttled()).toBe(1);
        expect(results.flatMap((r) => r.endpoints).filter((e) => e.bookkeepingError !== undefined)).toEqual([]);
        expect(await ledgerStatus('401', 'a')).toBe('delivered');
        expect([...a.accepted].sort()).toEqual(['400', '401', '402']);
      } finally {
        ddb.destroy();
        await proxy.close();
      }
    });

    it('a ledger write failing for good after a 2xx: the lead still counts as delivered there, the batch is settled, nothing is sent twice', async () => {
      const a = await receiver();
      const b = await receiver();
      await enqueue(leads(10, 500));
      const results = await drain(
        deps([endpoint('a', a), endpoint('b', b)], { ledger: flakyLedger('delivered', '503', 'b', 99) }),
        sqs,
        queues.queueUrl,
      );
      expect(results.map((r) => r.kind)).toEqual(Array(10).fill('done'));
      const unrecorded = results.flatMap((r) => r.endpoints).filter((e) => e.bookkeepingError !== undefined);
      expect(unrecorded.map((e) => ({ state: e.state, injected: e.bookkeepingError?.includes('injected') }))).toEqual([
        { state: 'delivered', injected: true },
      ]);
      expect(await ledgerStatus('503', 'b')).toBe('sending'); // what a later copy would wait out
      expect([...a.accepted].sort()).toEqual(
        leads(10, 500)
          .map((l) => l.id)
          .sort(),
      );
      expect([...b.accepted].sort()).toEqual(
        leads(10, 500)
          .map((l) => l.id)
          .sort(),
      );
    });

    it('a ledger claim failing: only that lead and endpoint wait for a retry; the rest of the batch is not re-sent', async () => {
      const a = await receiver();
      const b = await receiver();
      await enqueue(leads(10, 600));
      const results = await drain(
        deps([endpoint('a', a), endpoint('b', b)], { ledger: flakyLedger('claim', '604', 'b', 1) }),
        sqs,
        queues.queueUrl,
      );
      expect(results.filter((r) => r.kind === 'retry')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'done')).toHaveLength(10); // the 9 others at once, that one on its retry
      expect([...a.accepted].sort()).toEqual(
        leads(10, 600)
          .map((l) => l.id)
          .sort(),
      );
      expect([...b.accepted].sort()).toEqual(
        leads(10, 600)
          .map((l) => l.id)
          .sort(),
      );
    });

    it('parking failing: the lead stays on the queue and is parked on its next receive, once', async () => {
      const picky = await receiver(() => ({ status: 422 }));
      queues = await createQueues(sqs, { maxReceiveCount: 10, visibilityTimeout: 1 }); // the unparked message is back in a second
      const real = new SqsForwarderQueue(sqs, queues.queueUrl, queues.dlqUrl);
      let parks = 0;
      const queue = {
        delay: real.delay.bind(real),
        park: (...args: Parameters<typeof real.park>) => (++parks === 1 ? Promise.reject(fault) : real.park(...args)),
      };
      await enqueue(leads(1, 700));
      const results = await drain(deps([endpoint('picky', picky)], { queue }), sqs, queues.queueUrl, { idleMs: 2_500 });
      expect(results.map((r) => r.kind)).toEqual(['retry', 'parked']);
      // Bound for the DLQ either way: the report counts it as parked (NeedsOperator) already (test/unit/forwarder/report.test.ts).
      expect(results.map((r) => r.parkFailed === true)).toEqual([true, false]);
      expect(picky.requests).toHaveLength(1); // the ledger remembered the refusal
      expect(await dlqMessages()).toEqual([expect.objectContaining({ endpoints: 'picky' })]);
    });
  });

  it("takes each lead's age when its endpoint's answer arrives, and keeps the recent ones in the endpoint's status (what `status` shows)", async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 150 }));
    const down = await receiver(() => ({ status: 422 }));
    const created = Date.now() - 2_000;
    const aged = leads(3, 900).map((lead, i) => ({ ...lead, gmt_create: new Date(created - i * 1_000).toISOString() }));
    await enqueue(aged);
    const before = Date.now();
    const results = await drain(deps([endpoint('slow', slow), endpoint('down', down)]), sqs, queues.queueUrl, { idleMs: 500 });
    const after = Date.now();
    const ageOf = (leadId: string, name: string): number | undefined =>
      results.find((r) => r.leadId === leadId)?.endpoints.find((e) => e.endpoint === name)?.ageSeconds;
    aged.forEach((lead, i) => {
      const age = ageOf(lead.id, 'slow')!;
      // After the answer (150 ms after the request), and no later than the batch ended.
      expect(age).toBeGreaterThanOrEqual((before - created + i * 1_000 + 150) / 1000);
      expect(age).toBeLessThanOrEqual((after - created + i * 1_000) / 1000);
      expect(ageOf(lead.id, 'down')).toBeUndefined();
    });
    const status = new DynamoEndpointStatus(dynamo.client, table);
    const stored = (await status.get(endpoint('slow', slow))).recentAges!;
    expect([...stored].sort()).toEqual(aged.map((lead) => Math.round(ageOf(lead.id, 'slow')! * 10) / 10).sort());
    expect((await status.get(endpoint('down', down))).recentAges).toBeUndefined();
  });

  it('two copies of one lead processed at once reach an endpoint once', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 200 }));
    await enqueue([...leads(1, 123), ...leads(1, 123)]);
    const results = await drain(deps([endpoint('r', r)], { backoffSeconds: () => 1 }), sqs, queues.queueUrl, { idleMs: 2_500 });
    expect(r.accepted).toEqual(['123']);
    // Both copies settled: the second found the first's delivery in the ledger.
    expect(results.filter((result) => result.kind === 'done')).toHaveLength(2);
    expect(await dlqMessages()).toEqual([]);
  });
});
