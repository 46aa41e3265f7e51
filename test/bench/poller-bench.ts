import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { poll } from '../../functions/poller/poll';
import type { SourceState } from '../../functions/poller/ports';
import { SqsLeadQueue } from '../../functions/shared/aws/lead-queue';
import { SEEN_AT_ATTRIBUTE } from '../../functions/shared/domain/lead-message';
import { DynamoStateStore, sourceKey } from '../../functions/shared/aws/scan-state';
import { TopClient } from '../../functions/shared/taobao/client';
import { TopLeadSource } from '../../functions/shared/taobao/lead-source';
import type { BenchServers } from './servers';
import type { GatewayInfo } from './services';
import { timed } from './stats';

/** The scenario of issue 6: a 20,000-lead backlog read 100 at a time from a gateway taking 50 ms a call. */
export const POLLER_BACKLOG = 20_000;
export const PAGE_SIZE = 100;
export const GATEWAY_LATENCY_MS = 50;
/** Leads per second if the poller did nothing but wait for pages: page size ÷ latency. */
export const FETCH_BOUND_LEADS_PER_SECOND = PAGE_SIZE / (GATEWAY_LATENCY_MS / 1000);
/**
 * The naive baseline reads this many leads, not the whole backlog: at one SendMessage per lead
 * it would take most of the run's time budget, and its rate is steady after a few pages.
 */
export const NAIVE_POLLER_LEADS = 3_000;

/** Pages the fetch-only ceiling reads. */
export const CEILING_LEADS = 5_000;

/**
 * Leads polled, untimed, before anything is measured: the first calls of each SDK client and of
 * the TOP client run cold (~150 ms, see the cold-start rows), which is a cold start's cost, not
 * a backlog's throughput.
 */
export const WARM_UP_LEADS = 1_000;

export interface PollerFigures {
  leads: number;
  pages: number;
  seconds: number;
  leadsPerSecond: number;
  /** Of FETCH_BOUND_LEADS_PER_SECOND. */
  vsLimit: number;
  /** CPU time of this process (poller code, TOP client, SDK) per page. */
  cpuMsPerPage: number;
  /**
   * The same gateway read page after page with nothing else done: what one client achieves
   * against this simulator on this machine (its own per-call work comes on top of the 50 ms).
   */
  ceiling: { leads: number; msPerPage: number; leadsPerSecond: number };
  /** leadsPerSecond of the ceiling's. */
  vsCeiling: number;
  naive: { leads: number; seconds: number; leadsPerSecond: number };
  vsNaive: number;
}

/** The real poll() (page k enqueued while page k+1 is fetched) against a one-SendMessage-per-lead loop. */
export async function benchPoller(servers: BenchServers): Promise<PollerFigures> {
  await warmUp(servers);
  const real = await runReal(servers);
  const ceiling = await runCeiling(servers);
  const naive = await runNaive(servers);
  return {
    ...real,
    ceiling,
    vsCeiling: real.leadsPerSecond / ceiling.leadsPerSecond,
    naive,
    vsNaive: real.leadsPerSecond / naive.leadsPerSecond,
  };
}

async function withGateway<T>(
  servers: BenchServers,
  count: number,
  startId: string,
  fn: (gateway: GatewayInfo, client: TopClient) => Promise<T>,
): Promise<T> {
  const gateway = await servers.gateway({ count, startId, latencyMs: GATEWAY_LATENCY_MS });
  const client = new TopClient({
    appKey: gateway.appKey,
    appSecret: gateway.appSecret,
    sessionKey: gateway.sessionKey,
    gatewayUrl: gateway.url,
  });
  try {
    return await fn(gateway, client);
  } finally {
    await gateway.close();
  }
}

async function warmUp(servers: BenchServers): Promise<void> {
  const table = await servers.newTable();
  const { queueUrl } = await servers.newQueues();
  await withGateway(servers, WARM_UP_LEADS, '50000000', async (gateway, client) => {
    const deps = {
      source: new TopLeadSource(client),
      state: new DynamoStateStore(servers.ddb, table, sourceKey(gateway.appKey)),
      queue: new SqsLeadQueue(servers.sqs, queueUrl),
    };
    const result = await poll(deps, { pageSize: PAGE_SIZE, startFrom: { kind: 'all' }, deadline: Date.now() + 60_000 });
    if (result.enqueued !== WARM_UP_LEADS)
      throw new Error(`poller bench warm-up: expected ${WARM_UP_LEADS} leads enqueued, got ${result.enqueued}`);
  });
}

async function runReal(servers: BenchServers): Promise<Omit<PollerFigures, 'naive' | 'vsNaive' | 'ceiling' | 'vsCeiling'>> {
  const table = await servers.newTable();
  const { queueUrl } = await servers.newQueues();
  return withGateway(servers, POLLER_BACKLOG, '100000000', async (gateway, client) => {
    const deps = {
      source: new TopLeadSource(client),
      state: new DynamoStateStore(servers.ddb, table, sourceKey(gateway.appKey)),
      queue: new SqsLeadQueue(servers.sqs, queueUrl),
    };
    const cpu = process.cpuUsage();
    const { ms, value: result } = await timed(() =>
      poll(deps, { pageSize: PAGE_SIZE, startFrom: { kind: 'all' }, deadline: Date.now() + 600_000 }),
    );
    const used = process.cpuUsage(cpu);
    const queued = await servers.depth(queueUrl);
    if (result.enqueued !== POLLER_BACKLOG || queued !== POLLER_BACKLOG || result.scanInProgress) {
      throw new Error(
        `poller bench: expected ${POLLER_BACKLOG} leads enqueued and the scan finished, got ${result.enqueued} enqueued, ${queued} on the queue, scan in progress ${result.scanInProgress}`,
      );
    }
    const leadsPerSecond = POLLER_BACKLOG / (ms / 1000);
    const cpuMsPerPage = (used.user + used.system) / 1000 / result.pages;
    return {
      leads: POLLER_BACKLOG,
      pages: result.pages,
      seconds: ms / 1000,
      leadsPerSecond,
      vsLimit: leadsPerSecond / FETCH_BOUND_LEADS_PER_SECOND,
      cpuMsPerPage,
    };
  });
}

async function runCeiling(servers: BenchServers): Promise<PollerFigures['ceiling']> {
  return withGateway(servers, CEILING_LEADS, '200000000', async (_gateway, client) => {
    const source = new TopLeadSource(client);
    let pages = 0;
    const { ms } = await timed(async () => {
      for (let offset: string | undefined; ; pages += 1) {
        const page = await source.fetchPage({
          ...(offset === undefined ? {} : { offset }),
          pageSize: PAGE_SIZE,
          deadline: Date.now() + 60_000,
        });
        offset = page.leads.at(-1)?.id;
        if (page.rawCount < PAGE_SIZE || offset === undefined) return;
      }
    });
    pages += 1;
    return { leads: CEILING_LEADS, msPerPage: ms / pages, leadsPerSecond: CEILING_LEADS / (ms / 1000) };
  });
}

/**
 * What a first attempt would do: fetch a page, send its leads one SendMessage at a time, save
 * the offset, and only then fetch the next page. Same client, same state store, same queue.
 */
async function runNaive(servers: BenchServers): Promise<PollerFigures['naive']> {
  const table = await servers.newTable();
  const { queueUrl } = await servers.newQueues();
  return withGateway(servers, NAIVE_POLLER_LEADS, '300000000', async (gateway, client) => {
    const source = new TopLeadSource(client);
    const store = new DynamoStateStore(servers.ddb, table, sourceKey(gateway.appKey));
    const seenAt = new Date().toISOString();
    const { ms, value: leads } = await timed(async () => {
      let state: SourceState = await store.load();
      let offset: string | undefined;
      let count = 0;
      for (;;) {
        const page = await source.fetchPage({
          ...(offset === undefined ? {} : { offset }),
          pageSize: PAGE_SIZE,
          deadline: Date.now() + 60_000,
        });
        for (const lead of page.leads) {
          await servers.sqs.send(
            new SendMessageCommand({
              QueueUrl: queueUrl,
              MessageBody: JSON.stringify(lead),
              MessageAttributes: { [SEEN_AT_ATTRIBUTE]: { DataType: 'String', StringValue: seenAt } },
            }),
          );
        }
        count += page.leads.length;
        offset = page.leads.at(-1)?.id;
        state = await store.save({ seen: [], ...(offset === undefined ? {} : { cursor: offset }) }, state.version);
        if (page.rawCount < PAGE_SIZE || offset === undefined) return count;
      }
    });
    if (leads !== NAIVE_POLLER_LEADS) throw new Error(`naive poller bench: expected ${NAIVE_POLLER_LEADS} leads, sent ${leads}`);
    return { leads, seconds: ms / 1000, leadsPerSecond: leads / (ms / 1000) };
  });
}
