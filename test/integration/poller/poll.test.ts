import { isSuccessfulPoll, poll, type PollDeps, type PollOptions } from '../../../functions/poller/poll';
import type { LeadQueue, LeadSource, StateStore } from '../../../functions/poller/ports';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { DynamoStateStore, sourceKey } from '../../../functions/shared/aws/scan-state';
import { PagingContractError, StateConflictError } from '../../../functions/shared/domain/errors';
import type { StartFrom } from '../../../functions/shared/domain/settings';
import { TopClient } from '../../../functions/shared/taobao/client';
import { TopLeadSource } from '../../../functions/shared/taobao/lead-source';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../../functions/local/simulators/alimama-gateway';
import { localAwsPerTest } from '../../support/local-aws';
import { counts, takeLeadIds } from '../../support/queue-contents';

const aws = localAwsPerTest();
let gateway: SimulatedGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function start(
  count: number,
  offsetMode: 'inclusive' | 'exclusive' = 'exclusive',
  firstId = '1000',
): Promise<SimulatedGateway> {
  gateway = await startSimulatedGateway({ leads: generateLeads(count, { startId: firstId, maxIdGap: 3 }), offsetMode });
  return gateway;
}

function wire(gw: SimulatedGateway, overrides: Partial<PollDeps> = {}): PollDeps {
  const client = new TopClient({
    appKey: gw.appKey,
    appSecret: gw.appSecret,
    sessionKey: gw.sessionKey,
    gatewayUrl: gw.url,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
  });
  return {
    source: new TopLeadSource(client),
    state: new DynamoStateStore(aws.dynamo.client, aws.table, sourceKey(gw.appKey)),
    queue: new SqsLeadQueue(aws.sqs, aws.queues.queueUrl),
    ...overrides,
  };
}

const options = (startFrom: StartFrom = { kind: 'all' }, pageSize = 100): PollOptions => ({
  pageSize,
  startFrom,
  deadline: Date.now() + 60_000,
});
const allIds = (gw: SimulatedGateway): string[] => gw.leads.map((l) => l.id);
const highest = (gw: SimulatedGateway): string => gw.leads[0]!.id;

describe('poll against the simulated gateway, dynalite and fauxqs', () => {
  it('a backlog of 1,050 leads reaches the queue exactly once each; a second run enqueues nothing', async () => {
    const gw = await start(1_050);
    const deps = wire(gw);
    const first = await poll(deps, options());
    expect(first).toMatchObject({ enqueued: 1_050, cursor: highest(gw), scanInProgress: false });
    const queued = await takeLeadIds(aws.sqs, aws.queues.queueUrl);
    expect(queued).toHaveLength(1_050);
    expect(new Set(queued)).toEqual(new Set(allIds(gw)));

    const second = await poll(deps, options());
    expect(second.enqueued).toBe(0);
    expect(await takeLeadIds(aws.sqs, aws.queues.queueUrl)).toEqual([]);
  });

  it.each(['inclusive', 'exclusive'] as const)('an %s offset gives every lead exactly once', async (mode) => {
    const gw = await start(345, mode);
    await poll(wire(gw), options({ kind: 'all' }, 50));
    const queued = await takeLeadIds(aws.sqs, aws.queues.queueUrl);
    expect([...counts(queued)].filter(([, n]) => n !== 1)).toEqual([]);
    expect(new Set(queued)).toEqual(new Set(allIds(gw)));
  });

  it.each([5, 10, 19])('with page size %d (smaller than the lookback) a settled source re-enqueues nothing', async (pageSize) => {
    const gw = await start(57);
    const deps = wire(gw);
    expect((await poll(deps, options({ kind: 'all' }, pageSize))).enqueued).toBe(57);
    expect((await poll(deps, options({ kind: 'all' }, pageSize))).enqueued).toBe(0);
    expect((await poll(deps, options({ kind: 'all' }, pageSize))).enqueued).toBe(0);
    expect(await takeLeadIds(aws.sqs, aws.queues.queueUrl)).toHaveLength(57);
  });

  it('leads arriving mid-scan are picked up by the next run, none lost', async () => {
    const gw = await start(500);
    const deps = wire(gw);
    let pages = 0;
    const source: LeadSource = {
      fetchPage: async (request) => {
        pages += 1;
        if (pages === 3) gw.addLeads(generateLeads(7, { startId: '900000', seed: 2 }));
        return deps.source.fetchPage(request);
      },
    };
    const first = await poll({ ...deps, source }, options());
    expect(first.enqueued).toBe(500);
    const second = await poll(deps, options());
    expect(second.enqueued).toBe(7);
    expect(second.cursor).toBe(highest(gw));
    const queued = await takeLeadIds(aws.sqs, aws.queues.queueUrl);
    expect(queued).toHaveLength(507);
    expect(new Set(queued)).toEqual(new Set(allIds(gw)));
  });

  it('startFrom latest forwards only leads newer than the first run', async () => {
    const gw = await start(120);
    const deps = wire(gw);
    expect(await poll(deps, options({ kind: 'latest' }))).toMatchObject({ enqueued: 0, cursor: highest(gw) });
    gw.addLeads(generateLeads(3, { startId: '5000000', seed: 3 }));
    expect((await poll(deps, options({ kind: 'latest' }))).enqueued).toBe(3);
    expect((await takeLeadIds(aws.sqs, aws.queues.queueUrl)).sort()).toEqual(['5000000', '5000001', '5000002']);
  });

  it('stops at the time budget with the scan saved, and the next run resumes it without skipping', async () => {
    const gw = await start(400);
    const deps = wire(gw);
    // The poller's clock says the budget is spent once the first page is in: no second page.
    const first = await poll({ ...deps, now: () => Date.now() + 120_000 }, options());
    expect(first).toMatchObject({ stoppedEarly: 'deadline', scanInProgress: true, enqueued: 100, cursor: null });
    const second = await poll(deps, options());
    expect(second).toMatchObject({ enqueued: 300, scanInProgress: false, cursor: highest(gw) });
    expect(counts(await takeLeadIds(aws.sqs, aws.queues.queueUrl)).size).toBe(400);
  });

  it('a real time budget that runs out mid-scan ends the cycle with stoppedEarly, not an error, and nothing is skipped', async () => {
    const gw = await start(3_000);
    gw.setLatency(50);
    const deps = wire(gw);
    // A page takes ~50 ms: the page fetched ahead when the budget ends is cut short by it.
    const first = await poll(deps, { ...options(), deadline: Date.now() + 400 });
    expect(first).toMatchObject({ stoppedEarly: 'deadline', scanInProgress: true });
    expect(first.enqueued).toBeGreaterThan(0);
    gw.setLatency(0);
    const rest = await poll(deps, options());
    expect(rest).toMatchObject({ scanInProgress: false, cursor: highest(gw) });
    const queued = counts(await takeLeadIds(aws.sqs, aws.queues.queueUrl));
    expect(new Set(queued.keys())).toEqual(new Set(allIds(gw)));
    expect([...queued].filter(([, n]) => n !== 1)).toEqual([]);
  });

  it('a permanent error on the page fetched ahead surfaces even when the budget has run out meanwhile', async () => {
    const gw = await start(300);
    const deps = wire(gw);
    gw.queueFault({ kind: 'delay', ms: 0 }, { kind: 'session-expired' });
    // The clock says the budget ran out once the second page has been asked for.
    const clock = (): number => Date.now() + (gw.requests.length >= 2 ? 120_000 : 0);
    await expect(poll({ ...deps, now: clock }, options())).rejects.toThrow(/27/);
  });

  it('startFrom latest with no lead at all on the first run forwards every lead that arrives afterwards', async () => {
    const gw = await start(0);
    const deps = wire(gw);
    expect(await poll(deps, options({ kind: 'latest' }))).toMatchObject({ enqueued: 0, cursor: null });
    gw.addLeads(generateLeads(3, { startId: '5000000', seed: 4 }));
    expect(await poll(deps, options({ kind: 'latest' }))).toMatchObject({ enqueued: 3, cursor: '5000002' });
    expect((await takeLeadIds(aws.sqs, aws.queues.queueUrl)).sort()).toEqual(['5000000', '5000001', '5000002']);
  });

  describe('a crash after each I/O step, then a new run: nothing skipped, duplicates only for the interrupted page', () => {
    type Step = 'fetch' | 'partial-enqueue' | 'state-write';
    const crash = new Error('injected crash');

    /** Wraps the real ports so that the n-th call of one step dies where a process could. */
    function crashing(deps: PollDeps, step: Step, at: number): PollDeps {
      let calls = 0;
      const hit = (): boolean => ++calls === at;
      const source: LeadSource = {
        fetchPage: async (r) => {
          const page = await deps.source.fetchPage(r);
          if (step === 'fetch' && hit()) throw crash;
          return page;
        },
      };
      const queue: LeadQueue = {
        enqueue: async (leads, seenAt) => {
          if (step === 'partial-enqueue' && hit()) {
            await deps.queue.enqueue(leads.slice(0, 37), seenAt); // part of the page made it
            throw crash;
          }
          return deps.queue.enqueue(leads, seenAt);
        },
      };
      const state: StateStore = {
        load: () => deps.state.load(),
        save: async (update, version) => {
          if (step === 'state-write' && hit()) throw crash;
          return deps.state.save(update, version);
        },
      };
      return { source, queue, state };
    }

    it.each([
      ['fetch', 1],
      ['fetch', 3],
      ['partial-enqueue', 1],
      ['partial-enqueue', 4],
      ['state-write', 1],
      ['state-write', 3],
      ['state-write', 6],
    ] as [Step, number][])('crash at %s #%d', async (step, at) => {
      const gw = await start(520);
      const deps = wire(gw);
      await expect(poll(crashing(deps, step, at), options())).rejects.toThrow('injected crash');
      await poll(deps, options());
      const seen = counts(await takeLeadIds(aws.sqs, aws.queues.queueUrl));
      expect(new Set(seen.keys())).toEqual(new Set(allIds(gw))); // nothing skipped
      const duplicated = [...seen.values()].filter((n) => n > 1).length;
      expect(duplicated).toBeLessThanOrEqual(100); // at most the interrupted page
      expect((await deps.state.load()).cursor).toBe(highest(gw));
    });
  });

  it('two pollers at once: no lead skipped, and the cursor never moves backwards', async () => {
    const gw = await start(800);
    /** Every state the two pollers stored, in the order the table accepted them. */
    const stored: (string | undefined)[] = [];
    const recording = (deps: PollDeps): PollDeps => ({
      ...deps,
      state: {
        load: () => deps.state.load(),
        save: async (update, version) => {
          const saved = await deps.state.save(update, version);
          stored.push(saved.cursor);
          return saved;
        },
      },
    });
    const results = await Promise.allSettled([poll(recording(wire(gw)), options()), poll(recording(wire(gw)), options())]);
    // They overlapped: both read the empty state, so the second to write found it changed.
    expect(results.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []))).toEqual([
      expect.any(StateConflictError),
    ]);
    const cursors = stored.filter((c): c is string => c !== undefined).map((c) => BigInt(c));
    expect(cursors.length).toBeGreaterThan(0);
    expect(cursors.filter((c, i) => i > 0 && c < cursors[i - 1]!)).toEqual([]);
    await poll(wire(gw), options()); // whatever was interrupted is finished by the next run
    const seen = counts(await takeLeadIds(aws.sqs, aws.queues.queueUrl));
    expect(new Set(seen.keys())).toEqual(new Set(allIds(gw)));
    const store = new DynamoStateStore(aws.dynamo.client, aws.table, sourceKey(gw.appKey));
    expect((await store.load()).cursor).toBe(highest(gw));
  });

  it('rate limit, isp.* and an HTML 502 are retried and recovered', async () => {
    const gw = await start(250);
    gw.queueFault({ kind: 'rate-limit', banSeconds: 0 }, { kind: 'isp-error' }, { kind: 'html', status: 502 });
    const result = await poll(wire(gw), options());
    expect(gw.requests.flatMap((r) => (r.fault === undefined ? [] : [r.fault]))).toEqual(['rate-limit', 'isp-error', 'html']);
    expect(result.enqueued).toBe(250);
    expect(new Set(await takeLeadIds(aws.sqs, aws.queues.queueUrl)).size).toBe(250);
  });

  it('a rate limit longer than the time budget ends the cycle early, state kept, and the next run resumes', async () => {
    const gw = await start(300);
    const deps = wire(gw);
    gw.queueFault({ kind: 'delay', ms: 0 }, { kind: 'rate-limit', banSeconds: 3_600 });
    const first = await poll(deps, options());
    expect(first).toMatchObject({ stoppedEarly: 'rate-limited', scanInProgress: true, enqueued: 100 });
    expect(isSuccessfulPoll(first)).toBe(true); // it got a page in
    const second = await poll(deps, options());
    expect(second).toMatchObject({ enqueued: 200, scanInProgress: false });
  });

  it('a ban that stops the cycle before its first page is not a successful poll (the "no successful poll" alarm watches)', async () => {
    const gw = await start(50);
    gw.setFault({ kind: 'rate-limit', banSeconds: 7_200 });
    const banned = await poll(wire(gw), options());
    expect(banned).toMatchObject({ stoppedEarly: 'rate-limited', pages: 0, enqueued: 0 });
    expect(isSuccessfulPoll(banned)).toBe(false);
  });

  it.each([
    [{ kind: 'top-error', code: 25, msg: 'Invalid signature' }, /25/],
    [{ kind: 'session-expired' }, /27.*re-authorize/],
    [{ kind: 'top-error', code: 29, msg: 'Invalid app Key' }, /29/],
    [{ kind: 'top-error', code: 31, msg: 'Invalid timestamp' }, /31/],
    [
      { kind: 'top-error', code: 15, msg: 'Remote service error', subCode: 'isv.invalid-parameter', subMsg: '非法参数' },
      /isv\.invalid-parameter/,
    ],
  ] as const)('%j: a clear error naming the code, one request, state untouched', async (fault, message) => {
    const gw = await start(50);
    const deps = wire(gw);
    await poll(deps, options({ kind: 'latest' }));
    const before = await deps.state.load();
    gw.addLeads(generateLeads(5, { startId: '800000' }));
    gw.clearRequests();
    gw.setFault(fault);
    await expect(poll(deps, options())).rejects.toThrow(message);
    expect(gw.requests).toHaveLength(1); // no retry storm
    expect(await deps.state.load()).toEqual(before);
    expect(await takeLeadIds(aws.sqs, aws.queues.queueUrl)).toEqual([]);
  });

  it.each([[{ kind: 'ascending-page' }], [{ kind: 'ids-above-offset' }]] as const)(
    'a page that breaks the paging contract (%j) stops with an error instead of skipping',
    async (fault) => {
      const gw = await start(300);
      const deps = wire(gw);
      gw.queueFault({ kind: 'delay', ms: 0 }, fault);
      await expect(poll(deps, options())).rejects.toThrow(PagingContractError);
      const state = await deps.state.load();
      expect(state.cursor).toBeUndefined();
      expect(state.scan?.next).toBeDefined(); // the first page was saved; nothing past it was
    },
  );
});
