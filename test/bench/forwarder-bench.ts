import { LEADS_RETENTION_SECONDS } from '../../functions/local/runner/resources';
import { DeleteMessageBatchCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { Agent } from 'undici';
import { createDeliver } from '../../functions/forwarder/deliver';
import { forwardBatch, type QueueRecord } from '../../functions/forwarder/forward';
import type { ForwardDeps } from '../../functions/forwarder/ports';
import { DynamoEndpointStatus } from '../../functions/shared/aws/endpoint-status';
import { SqsForwarderQueue } from '../../functions/shared/aws/forwarder-queue';
import { parseLeadMessage } from '../../functions/shared/domain/lead-message';
import { SqsLeadQueue } from '../../functions/shared/aws/lead-queue';
import { DynamoLedger } from '../../functions/shared/aws/ledger';
import type { Endpoint } from '../../functions/shared/domain/settings';
import { createDispatcher } from '../../functions/shared/webhook/sender';
import { realisticLeads } from '../support/bench-leads';
import { receive } from '../support/forwarder-loop';
import type { BenchServers } from './servers';
import { percentile, timed } from './stats';

export const FORWARDER_LEADS = 5_000;
export const ENDPOINT_COUNT = 3;
export const ENDPOINT_LATENCY_MS = 20;
/** forwarder/handler.ts RECORD_CONCURRENCY: records of one batch in flight at once. */
export const RECORD_CONCURRENCY = 10;
/** infra/forwarder.ts FORWARDER_MAX_CONCURRENCY: the most forwarder invocations the stack runs at once. */
export const STACK_MAX_CONCURRENCY = 5;
/** The naive baseline gets a slice: at one request at a time it needs ~25 ms a delivery. */
export const NAIVE_FORWARDER_LEADS = 100;
/**
 * The several-instances run and the zero-latency ceiling get slices too: on two cores both
 * are bound by the simulators, and their rate is steady after a few hundred leads.
 */
export const STACK_RUN_LEADS = 1_500;
export const CEILING_LEADS = 500;

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface ForwarderRun {
  instances: number;
  leads: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSecond: number;
  /** HTTP attempt latency of the 2xx deliveries (what the DeliveryLatencyMs metric records). */
  p50Ms: number;
  p99Ms: number;
  /** Receive → forwardBatch → delete, per batch. */
  batchP50Ms: number;
  batchP99Ms: number;
  /** CPU time of this process (forwarder code, SDK, HTTP client) per delivery. */
  cpuMsPerDelivery: number;
}

export interface ForwarderFigures {
  one: ForwarderRun;
  stack: ForwarderRun;
  /** One instance whose endpoints answer at once, in-process: what the ledger and queue round trips alone allow here. */
  ceiling: ForwarderRun;
  naive: ForwarderRun;
  vsNaive: number;
}

/**
 * Lambda-like forwarder instances (receive 10, forwardBatch, delete) over the real ledger,
 * queue adapter and deliver, against three node:http receivers answering in 20 ms; then the
 * naive baseline on a slice of the same workload.
 */
export async function benchForwarder(servers: BenchServers): Promise<ForwarderFigures> {
  const one = await scenario(servers, FORWARDER_LEADS, '400000000', (ctx) => runInstances(ctx, 1));
  const stack = await scenario(servers, STACK_RUN_LEADS, '500000000', (ctx) => runInstances(ctx, STACK_MAX_CONCURRENCY));
  const ceiling = await scenario(servers, CEILING_LEADS, '550000000', (ctx) => runInstances(ctx, 1, instantDeliver), {
    checkReceivers: false,
  });
  const naive = await scenario(servers, NAIVE_FORWARDER_LEADS, '600000000', (ctx) => runNaive(ctx));
  return { one, stack, ceiling, naive, vsNaive: one.deliveriesPerSecond / naive.deliveriesPerSecond };
}

interface Context {
  servers: BenchServers;
  endpoints: Endpoint[];
  table: string;
  queueUrl: string;
  dlqUrl: string;
  leads: number;
}

/** A webhook that accepts at once without a network: isolates the ledger and queue work. */
const instantDeliver: ForwardDeps['deliver'] = () =>
  Promise.resolve({ outcome: 'delivered', reason: 'stub', status: 200, latencyMs: 0 });

async function scenario(
  servers: BenchServers,
  leads: number,
  startId: string,
  run: (ctx: Context) => Promise<ForwarderRun>,
  opts: { checkReceivers?: boolean } = {},
): Promise<ForwarderRun> {
  const receivers = await servers.receivers(ENDPOINT_COUNT, ENDPOINT_LATENCY_MS);
  try {
    const table = await servers.newTable();
    const { queueUrl, dlqUrl } = await servers.newQueues({ maxReceiveCount: 55, visibilityTimeout: 720 });
    const all = realisticLeads(leads, { startId, seed: `bench-${startId}` });
    const queue = new SqsLeadQueue(servers.sqs, queueUrl);
    const seenAt = new Date().toISOString();
    for (let i = 0; i < all.length; i += 100) await queue.enqueue(all.slice(i, i + 100), seenAt);
    const endpoints = receivers.urls.map((url, i): Endpoint => ({
      name: `crm${i + 1}`,
      url,
      secrets: [SECRET],
      headers: {},
      format: 'standard',
      timeoutMs: 10_000,
    }));
    const result = await run({ servers, endpoints, table, queueUrl, dlqUrl, leads });
    // A benchmark of a pipeline that lost or doubled a delivery would measure the wrong thing.
    for (const r of opts.checkReceivers === false ? [] : await receivers.accepted()) {
      if (r.accepted !== leads || r.unique !== leads)
        throw new Error(
          `forwarder bench: a receiver accepted ${r.accepted} deliveries of ${r.unique} leads, expected ${leads} once each`,
        );
    }
    if ((await servers.depth(dlqUrl)) !== 0 || (await servers.depth(queueUrl)) !== 0)
      throw new Error('forwarder bench: messages left on the queue or parked');
    return result;
  } finally {
    await receivers.close();
  }
}

function deps(ctx: Context, deliver: ForwardDeps['deliver']): ForwardDeps {
  return {
    endpoints: ctx.endpoints,
    ledger: new DynamoLedger(ctx.servers.ddb, ctx.table),
    endpointStatus: new DynamoEndpointStatus(ctx.servers.ddb, ctx.table),
    queue: new SqsForwarderQueue(ctx.servers.sqs, ctx.queueUrl, ctx.dlqUrl),
    deliver,
    maxReceiveCount: 55,
    leadsRetentionSeconds: LEADS_RETENTION_SECONDS,
    concurrency: RECORD_CONCURRENCY,
    backoffSeconds: () => 0,
  };
}

/**
 * `count` instances side by side, each its own container: its own connection pool, one batch at
 * a time. Receiving and deleting are modelled as Lambda's SQS event source does them: it polls
 * while the function works and deletes a batch after the function returns, so neither is on
 * the container's clock; the container runs handler after handler.
 */
async function runInstances(ctx: Context, count: number, deliver?: ForwardDeps['deliver']): Promise<ForwarderRun> {
  const latencies: number[] = [];
  const batchMs: number[] = [];
  let deliveries = 0;
  const instance = async (): Promise<void> => {
    const dispatcher = createDispatcher();
    const d = deps(ctx, deliver ?? createDeliver(dispatcher));
    const deletes: Promise<unknown>[] = [];
    let next = receive(ctx.servers.sqs, ctx.queueUrl);
    try {
      for (;;) {
        const records = await next;
        next = receive(ctx.servers.sqs, ctx.queueUrl);
        if (records.length === 0) {
          // Another instance may still hold messages in flight; stop once the queue is really empty.
          await Promise.all(deletes.splice(0));
          if ((await ctx.servers.depth(ctx.queueUrl)) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        const started = performance.now();
        const batch = await forwardBatch(d, records);
        batchMs.push(performance.now() - started);
        const done = records.filter((r) => !batch.failures.includes(r.messageId));
        if (done.length > 0)
          deletes.push(
            ctx.servers.sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: ctx.queueUrl,
                Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
              }),
            ),
          );
        for (const record of batch.records) {
          for (const e of record.endpoints) {
            if (e.state !== 'delivered') continue;
            deliveries += 1;
            if (e.latencyMs !== undefined) latencies.push(e.latencyMs);
          }
        }
      }
    } finally {
      // The last look-ahead receive found nothing (the loop ends on an empty queue); settle it anyway.
      await next.catch(() => undefined);
      await Promise.all(deletes);
      await dispatcher.close();
    }
  };
  const cpu = process.cpuUsage();
  const { ms } = await timed(() => Promise.all(Array.from({ length: count }, instance)));
  return summary(count, ctx.leads, deliveries, ms, latencies, batchMs, process.cpuUsage(cpu));
}

/**
 * The baseline: the same work per delivery (ledger claim, signed POST, ledger record), done one
 * at a time, each POST on a new connection (a fresh undici Agent, closed after it), each message
 * deleted on its own.
 */
async function runNaive(ctx: Context): Promise<ForwarderRun> {
  const ledger = new DynamoLedger(ctx.servers.ddb, ctx.table);
  const latencies: number[] = [];
  const batchMs: number[] = [];
  let deliveries = 0;
  const cpu = process.cpuUsage();
  const { ms } = await timed(async () => {
    for (;;) {
      const records: QueueRecord[] = await receive(ctx.servers.sqs, ctx.queueUrl);
      if (records.length === 0) return;
      const started = performance.now();
      for (const record of records) {
        const { lead, seenAt } = parseLeadMessage(record.message);
        for (const endpoint of ctx.endpoints) {
          const claim = await ledger.claim(lead.id, endpoint.name, endpoint.timeoutMs + 30_000, false);
          if (claim.kind !== 'claimed') continue;
          const agent = new Agent();
          const attempt = await createDeliver(agent)(endpoint, { lead, seenAt });
          await agent.close();
          if (attempt.outcome !== 'delivered') throw new Error(`naive forwarder: ${attempt.reason}`);
          await ledger.delivered(lead.id, endpoint.name, attempt.status ?? 200);
          deliveries += 1;
          latencies.push(attempt.latencyMs);
        }
        await ctx.servers.sqs.send(new DeleteMessageCommand({ QueueUrl: ctx.queueUrl, ReceiptHandle: record.receiptHandle }));
      }
      batchMs.push(performance.now() - started);
    }
  });
  return summary(1, ctx.leads, deliveries, ms, latencies, batchMs, process.cpuUsage(cpu));
}

function summary(
  instances: number,
  leads: number,
  deliveries: number,
  ms: number,
  latencies: number[],
  batchMs: number[],
  cpu: NodeJS.CpuUsage,
): ForwarderRun {
  return {
    instances,
    leads,
    deliveries,
    seconds: ms / 1000,
    deliveriesPerSecond: deliveries / (ms / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    batchP50Ms: percentile(batchMs, 50),
    batchP99Ms: percentile(batchMs, 99),
    cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / deliveries,
  };
}
