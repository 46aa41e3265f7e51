import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LeadForwarderError } from '../shared/errors';
import { isRecord } from '../shared/lead';

/**
 * An exclusive lock on a state directory. dynalite's LevelDB allows one process per directory
 * and a second one crashes the process (an unhandled stream error) instead of failing cleanly,
 * so every process that opens the directory takes this lock first. A lock left by a process
 * that died is taken over; one held by a command is waited for (up to COMMAND_WAIT_MS).
 */
export interface StateLock {
  release(): Promise<void>;
}

export type LockPurpose = 'runner' | 'command';

export interface LockHolder {
  pid: number;
  purpose: LockPurpose;
}

/** How long a process waits for a command (not a runner) to finish with the directory. */
export const COMMAND_WAIT_MS = 15_000;
/** How often the lock is looked at again while waiting. */
const POLL_MS = 100;

export interface AcquireOptions {
  /**
   * How long to wait when the holder is a command: commands are short (a `status` from a
   * monitoring loop, a `replay`), so a `dev` restart or another command waits its turn instead of
   * failing at random. A runner holds the directory until stopped: never waited for.
   */
  commandWaitMs?: number;
}

/** Another live process holds the state directory. */
export class StateDirBusyError extends LeadForwarderError {
  constructor(
    readonly holder: LockHolder,
    dir: string,
  ) {
    super(
      holder.purpose === 'runner'
        ? `a runner (pid ${holder.pid}) is using ${dir}: stop it first (Ctrl-C), or pass another --state-dir`
        : `another lead-forwarder command (pid ${holder.pid}) is using ${dir}: wait for it to finish`,
    );
  }
}

/**
 * Lock files this process holds. A lock naming this process's pid that is not in here was left
 * by an earlier process that had the same pid (a container restarted: the runner is pid 1 again),
 * so it is stale; one that is in here is held, by this very process.
 */
const heldHere = new Set<string>();

export async function acquireLock(file: string, dir: string, purpose: LockPurpose, opts: AcquireOptions = {}): Promise<StateLock> {
  const path = resolve(file);
  const deadline = Date.now() + (opts.commandWaitMs ?? COMMAND_WAIT_MS);
  for (;;) {
    if (await create(path, { pid: process.pid, purpose, at: new Date().toISOString() })) {
      heldHere.add(path);
      return {
        release: async () => {
          heldHere.delete(path);
          await unlink(path).catch(() => undefined);
        },
      };
    }
    const found = await inspect(path);
    // Released meanwhile: try again. Never delete here, the file may be a new holder's by now.
    if (found === 'missing') continue;
    if (found === 'stale') {
      // The holder died without releasing: the directory is free.
      await unlink(path).catch((error: unknown) => {
        // Anything but "already gone" would have this loop try again forever.
        if (codeOf(error) !== 'ENOENT') throw error;
      });
      continue;
    }
    if (found.purpose === 'runner' || Date.now() >= deadline) throw new StateDirBusyError(found, dir);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

/**
 * Creates the lock file with its content in one step: written aside, then linked into place
 * (link fails if the file exists). A lock file is thus never seen empty, which a reader would
 * take for a stale lock and delete under its holder.
 */
async function create(path: string, content: { pid: number; purpose: LockPurpose; at: string }): Promise<boolean> {
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(aside, JSON.stringify(content), { flag: 'wx', mode: 0o600 });
  try {
    await link(aside, path);
    return true;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/** Who holds the lock, if a live process other than a former one with this process's pid does. */
export async function lockHolder(file: string): Promise<LockHolder | undefined> {
  const found = await inspect(resolve(file));
  return typeof found === 'string' ? undefined : found;
}

/** The lock file's holder; `stale`: a dead one, or a former process with this process's pid. */
async function inspect(path: string): Promise<LockHolder | 'missing' | 'stale'> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return codeOf(error) === 'ENOENT' ? 'missing' : 'stale';
  }
  if (!isRecord(value) || typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid)) return 'stale';
  if (!isAlive(value.pid) || (value.pid === process.pid && !heldHere.has(path))) return 'stale';
  return { pid: value.pid, purpose: value.purpose === 'runner' ? 'runner' : 'command' };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return codeOf(error) === 'EPERM';
  }
}

function codeOf(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
}
