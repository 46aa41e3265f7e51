// Starts the local runner's pipeline on a new state directory, polls (the first run), waits for
// a line on stdin (the test adds leads to the gateway meanwhile), polls again, then dies by
// SIGKILL before the periodic save, with the new leads queued but not delivered (the test's
// receiver drops their connections). Args: stateDir configFile. Prints one JSON line per poll.
import { createInterface } from 'node:readline';
import { loadConfigFile } from '../../../../functions/local/config-file';
import { startPipeline } from '../../../../functions/local/pipeline';
import { createReporter } from '../../../../functions/local/progress';
import { stateDir } from '../../../../functions/local/state-dir';

async function main(): Promise<void> {
  const [dir, configFile] = process.argv.slice(2) as [string, string];
  const config = await loadConfigFile(configFile);
  const pipeline = await startPipeline({ dir: stateDir(dir), config, once: false, reporter: createReporter(process.stderr, process.stderr) });
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  for (let n = 0; n < 2; n += 1) {
    if (n > 0) await lines.next();
    const summary = await pipeline.poll(30_000);
    process.stdout.write(`${JSON.stringify({ enqueued: summary.enqueued, cursor: summary.cursor })}\n`);
  }
  // Long enough for the forwarder's failed attempts to release their ledger claims (a claim held
  // by a killed process makes the restarted one wait out its lease); far less than the 5 s save.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  process.kill(process.pid, 'SIGKILL');
}

void main();
