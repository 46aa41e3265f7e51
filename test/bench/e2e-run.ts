/**
 * The local runner's rows alone (`node functions/cli/tsx.cjs test/bench/e2e-run.ts [runs]`):
 * `runs` end-to-end `dev --once` runs (default 3) and, with BENCH_BACKFILL_LEADS set, a backfill
 * of that many leads. For measuring a change to the runner or the forwarder core without the
 * whole of `npm run bench`; E2E_NODE_FLAGS passes flags (say `--cpu-prof`) to the runner process.
 */
import { cpus, loadavg } from 'node:os';
import { benchBackfill, benchE2e, E2E_FETCH_BOUND_LEADS_PER_SECOND } from './e2e-bench';
import { startBenchServers } from './servers';
import { fixed, median } from './stats';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const backfillLeads = process.env.BENCH_BACKFILL_LEADS === undefined ? 0 : Number(process.env.BENCH_BACKFILL_LEADS);
  const load = (): string =>
    loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  process.stdout.write(`e2e: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${new Date().toISOString()}, load ${load()}\n`);
  const servers = await startBenchServers();
  try {
    const e2e = runs > 0 ? await benchE2e(servers, runs) : [];
    for (const run of e2e)
      process.stdout.write(
        `run: ${fixed(run.leadsPerSecond)} leads/s (${fixed(run.seconds, 1)} s), runner CPU ${fixed((run.cpuSeconds * 1000) / run.leads, 2)} ms a lead\n`,
      );
    const rate = e2e.length > 0 ? median(e2e.map((run) => run.leadsPerSecond)) : Number.NaN;
    let line = `local_e2e_leads_per_s=${fixed(rate)} local_e2e_vs_fetch_bound=${fixed(rate / E2E_FETCH_BOUND_LEADS_PER_SECOND, 3)}`;
    if (backfillLeads > 0) {
      const backfill = await benchBackfill(servers, backfillLeads);
      process.stdout.write(
        `backfill: ${backfill.delivered} of ${backfill.leads} leads in ${fixed(backfill.minutes, 2)} min (${fixed(backfill.leadsPerSecond)} leads/s)${backfill.complete ? '' : ', cut off'}, load ${load()}\n`,
      );
      line += ` backfill_${backfill.leads}_min=${backfill.complete ? fixed(backfill.minutes, 2) : 'n/a'}`;
    }
    process.stdout.write(`load ${load()}\n${line}\n`);
  } finally {
    await servers.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`e2e bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
