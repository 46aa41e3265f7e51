import { abortableSleep } from '../../shared/domain/abortable-sleep';
import { localAdvice } from '../report/advice';
import { startStatusLine, type LocalPipeline } from './pipeline';
import type { Reporter } from '../report/progress';
import { POLL_BUDGET_MS } from './resources';

/** A poll error that repeats is printed again only this often (an expired session fails every poll). */
const REPEAT_ERROR_EVERY = 10;

/**
 * `dev` without `--once`: a poll every `pollIntervalSeconds` (counted from the end of the
 * previous one, like a schedule that never overlaps), the forwarder running all along, until
 * `interrupted` resolves; then the poll in progress is allowed to finish.
 */
export async function runContinuous(pipeline: LocalPipeline, reporter: Reporter, interrupted: Promise<void>): Promise<void> {
  let stop = false;
  const stopping = new AbortController();
  void interrupted.then(() => {
    stop = true;
    stopping.abort();
  });
  const status = startStatusLine(pipeline, reporter);
  const intervalMs = pipeline.settings.pollIntervalSeconds * 1000;
  let lastError = '';
  let repeats = 0;
  try {
    while (!stop) {
      try {
        const summary = await pipeline.poll(POLL_BUDGET_MS);
        pipeline.tally.poll(summary);
        if (summary.enqueued > 0 || summary.stoppedEarly !== undefined) {
          const more = summary.stoppedEarly === undefined ? '' : ` (stopped early: ${summary.stoppedEarly}; resuming next poll)`;
          reporter.line(`poll: fetched ${summary.fetched}, enqueued ${summary.enqueued}, cursor ${summary.cursor ?? '-'}${more}`);
        }
        lastError = '';
      } catch (error) {
        pipeline.tally.pollFailed();
        const text = localAdvice(error);
        repeats = text === lastError ? repeats + 1 : 0;
        if (repeats % REPEAT_ERROR_EVERY === 0)
          reporter.warn(
            `poll failed: ${text}${repeats > 0 ? ` (${repeats + 1} times in a row)` : ''}; retrying every ${pipeline.settings.pollIntervalSeconds} s`,
          );
        lastError = text;
      }
      if (stop) break;
      await abortableSleep(intervalMs, stopping.signal);
    }
  } finally {
    clearInterval(status);
  }
}
