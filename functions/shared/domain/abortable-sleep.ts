import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './errors';

/**
 * Waits `ms`, or less if `signal` aborts first (a stop or close that cuts the pause short).
 * Resolves either way: being woken early is not an error to whoever paused.
 */
export async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (errorCode(error) !== 'ABORT_ERR') throw error;
  }
}
