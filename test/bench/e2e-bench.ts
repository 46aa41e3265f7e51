import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BenchServers } from './servers';
import type { AcceptedCount } from './services';

/** The backlog `dev --once` drains end to end (issue 17). */
export const E2E_LEADS = 5_000;
export const E2E_ENDPOINTS = 2;
export const E2E_ENDPOINT_LATENCY_MS = 20;
export const E2E_GATEWAY_LATENCY_MS = 50;
export const E2E_PAGE_SIZE = 100;
/** What the gateway alone allows: one page of 100 every 50 ms (the poller's fetch-bound limit). */
export const E2E_FETCH_BOUND_LEADS_PER_SECOND = (E2E_PAGE_SIZE * 1000) / E2E_GATEWAY_LATENCY_MS;
/** A merchant's backfill with `startFrom: all`: the continuous runner until the last delivery. */
export const BACKFILL_LEADS = 100_000;

const BIN = path.resolve(__dirname, '../../functions/cli/bin.cjs');
const CPU_ON_EXIT = path.join(__dirname, 'cpu-on-exit.cjs');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface E2eRun {
  leads: number;
  /** Process start to exit: loading, servers, the poll, every delivery, the final save. */
  seconds: number;
  leadsPerSecond: number;
  vsFetchBound: number;
  /** The `--once` summary line as printed. */
  summary: { enqueued: number; delivered: number; failed: number; skipped: number };
  /** CPU of the runner process (user + system), in seconds. */
  cpuSeconds: number;
}

/** A backfill is measured for at most this long; past it, the row says how far it got. */
export const BACKFILL_MAX_MINUTES = 15;

export interface BackfillRun {
  leads: number;
  /** Leads every receiver had accepted when the run ended (all of them, unless it was cut off). */
  delivered: number;
  /** False when the run was stopped at BACKFILL_MAX_MINUTES before the last delivery. */
  complete: boolean;
  /** Process start to the last delivery's 2xx at the slower receiver (or to the cut-off). */
  minutes: number;
  /** Delivered leads over those minutes. */
  leadsPerSecond: number;
}

/**
 * The whole local runner as a user runs it (`lead-forwarder dev --config FILE --once` in a
 * process of its own, its dynalite and fauxqs inside it) against a simulated gateway and two
 * webhook receivers in the benchmark's "internet" process. Every receiver must have accepted
 * every lead exactly once, or the run is refused.
 */
export async function benchE2e(servers: BenchServers, runs = 1): Promise<E2eRun[]> {
  const results: E2eRun[] = [];
  for (let i = 0; i < runs; i += 1) {
    results.push(await oneRun(servers, E2E_LEADS, `${700 + i}000000`));
  }
  return results;
}

async function oneRun(servers: BenchServers, leads: number, startId: string): Promise<E2eRun> {
  const { dir, config, close } = await setUp(servers, leads, startId);
  try {
    const started = performance.now();
    const { code, stdout, stderr, cpuSeconds } = await runRunner([
      'dev',
      '--config',
      config,
      '--once',
      '--state-dir',
      path.join(dir, 'state'),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const last = stdout.trim().split('\n').at(-1) ?? '';
    if (code !== 0) throw new Error(`e2e bench: dev --once exited ${code}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
    const summary = JSON.parse(last) as E2eRun['summary'];
    checkReceivers(await close.accepted(), leads, last);
    if (summary.enqueued !== leads || summary.delivered !== leads * E2E_ENDPOINTS || summary.failed !== 0)
      throw new Error(`e2e bench: the summary says ${last}, expected ${leads} enqueued and ${leads * E2E_ENDPOINTS} delivered`);
    const leadsPerSecond = leads / seconds;
    return {
      leads,
      seconds,
      leadsPerSecond,
      vsFetchBound: leadsPerSecond / E2E_FETCH_BOUND_LEADS_PER_SECOND,
      summary,
      cpuSeconds,
    };
  } finally {
    await close.all();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `dev` without `--once` (polling every second, as a backfill would run) from an empty state
 * with `startFrom: all`, until both receivers have accepted every lead, or `maxMinutes` have
 * passed; then Ctrl-C. Measured, never extrapolated: a cut-off run says how many it delivered.
 */
export async function benchBackfill(
  servers: BenchServers,
  leads = BACKFILL_LEADS,
  maxMinutes = BACKFILL_MAX_MINUTES,
): Promise<BackfillRun> {
  const { dir, config, close } = await setUp(servers, leads, '800000000', { pollIntervalSeconds: 1 });
  try {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'dev', '--config', config, '--state-dir', path.join(dir, 'state')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    let seconds = Number.NaN;
    let delivered = 0;
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const accepted = await close.accepted();
      const elapsed = (performance.now() - started) / 1000;
      delivered = Math.min(...accepted.map((r) => r.unique));
      if (delivered >= leads || elapsed >= maxMinutes * 60) {
        seconds = elapsed;
        break;
      }
    }
    child.kill('SIGINT');
    await exited;
    if (!Number.isFinite(seconds)) throw new Error(`e2e bench: the backfill runner stopped early\n${stderr.slice(-2000)}`);
    const complete = delivered >= leads;
    if (complete) checkReceivers(await close.accepted(), leads);
    else checkNoRepeats(await close.accepted());
    return { leads, delivered, complete, minutes: seconds / 60, leadsPerSecond: delivered / seconds };
  } finally {
    await close.all();
    await rm(dir, { recursive: true, force: true });
  }
}

async function setUp(
  servers: BenchServers,
  leads: number,
  startId: string,
  extra: Record<string, unknown> = {},
): Promise<{
  dir: string;
  config: string;
  close: { accepted: () => ReturnType<Awaited<ReturnType<BenchServers['receivers']>>['accepted']>; all: () => Promise<void> };
}> {
  const gateway = await servers.gateway({ count: leads, startId, latencyMs: E2E_GATEWAY_LATENCY_MS });
  const receivers = await servers.receivers(E2E_ENDPOINTS, E2E_ENDPOINT_LATENCY_MS);
  const dir = await mkdtemp(path.join(tmpdir(), 'lf-e2e-'));
  const config = path.join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      top: {
        appKey: gateway.appKey,
        appSecret: gateway.appSecret,
        sessionKey: gateway.sessionKey,
        gatewayUrl: gateway.url,
        pageSize: E2E_PAGE_SIZE,
      },
      startFrom: 'all',
      webhooks: receivers.urls.map((url, i) => ({ name: `crm${i + 1}`, url, secret: SECRET })),
      ...extra,
    }),
  );
  return {
    dir,
    config,
    close: {
      accepted: () => receivers.accepted(),
      all: async () => {
        await receivers.close();
        await gateway.close();
      },
    },
  };
}

function checkReceivers(accepted: AcceptedCount[], leads: number, summary = ''): void {
  for (const r of accepted) {
    if (r.accepted !== leads || r.unique !== leads)
      throw new Error(
        `e2e bench: a receiver accepted ${r.accepted} deliveries of ${r.unique} leads (${r.requests} requests), expected ${leads} once each ${summary}`,
      );
  }
}

/** A run cut off before its end: whatever each receiver accepted, it accepted once. */
function checkNoRepeats(accepted: AcceptedCount[]): void {
  for (const r of accepted) {
    if (r.accepted !== r.unique)
      throw new Error(`e2e bench: a receiver accepted ${r.accepted} deliveries of ${r.unique} leads: some twice`);
  }
}

/** Runs the CLI with `args` (state dir under the temp dir) and reports its CPU time from the OS. */
function runRunner(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; cpuSeconds: number }> {
  const cpuFile = path.join(tmpdir(), `lf-e2e-cpu-${process.pid}-${Date.now()}`);
  const flags = process.env.E2E_NODE_FLAGS === undefined ? [] : process.env.E2E_NODE_FLAGS.split(' ');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, '--require', CPU_ON_EXIT, BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', BENCH_CPU_FILE: cpuFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('close', (code) => {
      void readFile(cpuFile, 'utf8')
        .then((text) => Number(text))
        .catch(() => Number.NaN)
        .then(async (cpuSeconds) => {
          await rm(cpuFile, { force: true });
          resolve({ code, stdout, stderr, cpuSeconds });
        });
    });
  });
}
