import { setTimeout as sleep } from 'node:timers/promises';
import { isSuccessfulPoll } from '../../poller/poll';
import { localAdvice } from '../report/advice';
import { startStatusLine, type LocalPipeline } from './pipeline';
import type { Reporter } from '../report/progress';
import { POLL_BUDGET_MS } from './resources';
import { onceSummary, type OnceSummary } from '../report/tally';

/** How often `--once` looks whether the queue has drained. */
const DRAIN_CHECK_MS = 200;

export interface OnceResult {
  summary: OnceSummary & { interrupted?: true };
  exitCode: number;
}

/**
 * `--once` (DESIGN §6): one poll with a 60-second budget while the forwarder runs, then the
 * queue drained, retries included (a second apart), until nothing is left on it: every lead is
 * delivered or parked in the DLQ. Exit 0 only when the poll succeeded and nothing failed.
 */
export async function runOnce(pipeline: LocalPipeline, reporter: Reporter, interrupted: Promise<void>): Promise<OnceResult> {
  let stop = false;
  void interrupted.then(() => {
    stop = true;
  });
  const before = messageIds(pipeline);
  const deadBefore = (await pipeline.depths()).dead;
  const status = startStatusLine(pipeline, reporter);

  let error: string | undefined;
  try {
    const summary = await pipeline.poll(POLL_BUDGET_MS);
    pipeline.tally.poll(summary);
    const more =
      summary.stoppedEarly === undefined ? '' : ` (stopped early: ${summary.stoppedEarly}; the next run resumes from here)`;
    reporter.line(`poll: fetched ${summary.fetched}, enqueued ${summary.enqueued}, cursor ${summary.cursor ?? '-'}${more}`);
    // The one poll of `--once` pulled nothing: a script must not read that as success.
    if (!isSuccessfulPoll(summary)) {
      error =
        'TOP error 7 (rate limited): the gateway refused the first page, so nothing was polled; run again once the ban ends';
      reporter.warn(`poll failed: ${error}`);
    }
  } catch (failure) {
    pipeline.tally.pollFailed();
    error = localAdvice(failure);
    reporter.warn(`poll failed: ${error}`);
  }

  try {
    while (!stop && !(await drained(pipeline))) await sleep(DRAIN_CHECK_MS);
    await pipeline.forwarder.stop();
  } finally {
    clearInterval(status);
  }

  const tally = pipeline.tally.snapshot();
  const summary: OnceResult['summary'] = onceSummary(tally, await pipeline.cursor(), error);
  // A failed poll reports no count, but the pages it saved before failing are on the queue.
  if (error !== undefined) summary.enqueued = [...pipeline.received].filter((id) => !before.has(id)).length;
  // The queue is empty, so a pair still waiting for a retry left it unseen: SQS's redrive moved
  // its message to the DLQ after the forwarder failed on it every time. The DLQ's growth is the
  // ground truth for what was parked.
  if (!stop) {
    summary.failed += Object.values(tally.endpoints).reduce((sum, counts) => sum + counts.retrying, 0);
    summary.parked = Math.max(summary.parked, (await pipeline.depths()).dead - deadBefore);
  }
  if (stop) summary.interrupted = true;
  const failed = error !== undefined || summary.failed > 0 || stop;
  return { summary, exitCode: failed ? 1 : 0 };
}

/** Nothing on the queue (visible, in flight or delayed) and no batch being forwarded. */
async function drained(pipeline: LocalPipeline): Promise<boolean> {
  if (pipeline.forwarder.inFlight) return false;
  const { queued } = await pipeline.depths();
  return queued === 0 && !pipeline.forwarder.inFlight;
}

/** Every message id on the leads queue now, hidden ones included. */
function messageIds(pipeline: LocalPipeline): Set<string> {
  const messages = pipeline.stores.fauxqs.inspectQueue(pipeline.stores.queues.leads.name)?.messages;
  if (messages === undefined) return new Set();
  return new Set(
    [...messages.ready, ...messages.delayed, ...messages.inflight.map((entry) => entry.message)].map(
      (message) => message.messageId,
    ),
  );
}
