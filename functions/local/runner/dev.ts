import { messageOf } from '../../shared/domain/errors';
import type { LoadedConfig } from './config-file';
import { startPipeline, type LocalPipeline } from './pipeline';
import { createReporter, type Reporter } from '../report/progress';
import { runContinuous } from './run-continuous';
import { runOnce } from './run-once';
import { stateDir } from '../state/state-dir';

export interface DevOptions {
  stateDir: string;
  /** A validated config file; absent: the demo. */
  config?: LoadedConfig;
  once: boolean;
  reporter?: Reporter;
}

/**
 * `lead-forwarder dev`: the pipeline on this machine until Ctrl-C (SIGINT/SIGTERM), or one
 * cycle with `--once`. Resolves with the exit code. A stop lets the poll and the batch in
 * flight finish, saves the queues and leaves the state directory ready for the next start; a
 * second Ctrl-C exits at once.
 */
export async function runDev(opts: DevOptions): Promise<number> {
  const reporter = opts.reporter ?? createReporter();
  const dir = stateDir(opts.stateDir);
  const { interrupted, dispose } = onInterrupt(() =>
    reporter.warn(
      'stopping: finishing the poll and the deliveries in flight, then saving the queues (Ctrl-C again to quit at once)',
    ),
  );
  let pipeline: LocalPipeline;
  try {
    pipeline = await startPipeline({ dir, once: opts.once, reporter, config: opts.config });
  } catch (error) {
    dispose();
    throw error;
  }
  try {
    reporter.line(`lead-forwarder ${opts.once ? 'dev --once' : 'dev'}: state in ${dir.root} (handler logs: ${dir.handlerLog})`);
    if (pipeline.demo !== undefined) {
      reporter.line(
        `demo: simulated Alimama gateway at ${pipeline.demo.gatewayUrl} with new leads every few seconds; webhook inbox at ${pipeline.demo.inboxUrl}`,
      );
    }
    const endpoints = pipeline.settings.webhooks.map((endpoint) => `${endpoint.name} (${endpoint.format})`).join(', ');
    if (opts.once) {
      reporter.line(`one poll, then delivering to ${endpoints} until the queue is empty`);
      const { summary, exitCode } = await runOnce(pipeline, reporter, interrupted);
      await pipeline.close();
      reporter.close();
      // The last line on stdout, for scripts.
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return exitCode;
    }
    reporter.line(
      `polling every ${pipeline.settings.pollIntervalSeconds} s, delivering to ${endpoints}; Ctrl-C stops (the state is kept)`,
    );
    await runContinuous(pipeline, reporter, interrupted);
    await pipeline.close();
    reporter.close();
    reporter.line(`stopped; state kept in ${dir.root}`);
    return 0;
  } catch (error) {
    await pipeline.close().catch((closeError: unknown) => reporter.warn(`while stopping: ${messageOf(closeError)}`));
    reporter.close();
    throw error;
  } finally {
    dispose();
  }
}

/** A promise that resolves on the first SIGINT/SIGTERM; the second one exits at once. */
function onInterrupt(notice: () => void): { interrupted: Promise<void>; dispose: () => void } {
  let resolve: () => void = () => undefined;
  const interrupted = new Promise<void>((r) => {
    resolve = r;
  });
  let count = 0;
  const handler = (): void => {
    count += 1;
    if (count === 1) {
      notice();
      resolve();
    } else process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    interrupted,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
