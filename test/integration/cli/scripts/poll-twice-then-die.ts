// Starts the local runner's pipeline on a new state directory, polls (the first run), waits for
// a line on stdin (the test adds leads to the gateway meanwhile), polls again, then dies by
// SIGKILL before the periodic save, with the new leads queued but not delivered (the test's
// receiver drops their connections). Args: stateDir configFile. Prints one JSON line per poll.
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { loadConfigFile } from '../../../../functions/local/runner/config-file';
import { startPipeline } from '../../../../functions/local/runner/pipeline';
import { createReporter } from '../../../../functions/local/report/progress';
import { stateDir } from '../../../../functions/local/state/state-dir';

async function main(): Promise<void> {
  const [dir, configFile] = process.argv.slice(2) as [string, string];
  const config = await loadConfigFile(configFile);
  // The progress lines go to stderr as usual, and are counted: each "forwarded …" line says how
  // many of its leads failed and will be retried, their ledger claims released by then.
  let retrying = 0;
  let lastPollEnqueued = Number.POSITIVE_INFINITY;
  let allFailed: () => void = () => undefined;
  const failedOnce = new Promise<void>((resolve) => (allFailed = resolve));
  const progress = new PassThrough();
  progress.pipe(process.stderr);
  createInterface({ input: progress }).on('line', (line) => {
    const batch = /^forwarded \d+ leads?: .*?(\d+) retrying/.exec(line);
    if (batch !== null) retrying += Number(batch[1]);
    if (retrying >= lastPollEnqueued) allFailed();
  });
  const pipeline = await startPipeline({ dir: stateDir(dir), config, once: false, reporter: createReporter(progress, progress) });
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  for (let n = 0; n < 2; n += 1) {
    if (n > 0) await lines.next();
    const summary = await pipeline.poll(30_000);
    process.stdout.write(`${JSON.stringify({ enqueued: summary.enqueued, cursor: summary.cursor })}\n`);
    if (n === 1) lastPollEnqueued = summary.enqueued;
  }
  // Die once every lead of the second poll failed its first attempt (a claim still held by the
  // killed process would make the restarted one wait out its lease), well before the 5 s save.
  if (retrying >= lastPollEnqueued) allFailed();
  await failedOnce;
  process.kill(process.pid, 'SIGKILL');
}

void main();
