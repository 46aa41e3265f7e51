import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode, LeadForwarderError } from '../../shared/domain/errors';
import { isRecord } from '../../shared/domain/is-record';

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
  override readonly name: string = 'StateDirBusyError';
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

export async function acquireLock(
  file: string,
  dir: string,
  purpose: LockPurpose,
  opts: AcquireOptions = {},
): Promise<StateLock> {
  const path = resolve(file);
  const deadline = Date.now() + (opts.commandWaitMs ?? COMMAND_WAIT_MS);
  // Tells this lock from a later holder's when releasing, whatever happened meanwhile.
  const token = randomBytes(12).toString('hex');
  const started = await processStart(process.pid);
  for (;;) {
    if (
      await create(
        path,
        JSON.stringify({ pid: process.pid, host: hostname(), started, purpose, at: new Date().toISOString(), token }),
      )
    ) {
      heldHere.add(path);
      return {
        release: async () => {
          heldHere.delete(path);
          const text = await readFile(path, 'utf8').catch(() => undefined);
          if (text !== undefined && text.includes(`"token":"${token}"`)) await unlink(path).catch(() => undefined);
        },
      };
    }
    const found = await inspect(path);
    // Released meanwhile: try again. Never delete here, the file may be a new holder's by now.
    if (found === 'missing') continue;
    if ('staleText' in found) {
      // The holder died without releasing: the directory is free.
      await removeIfUnchanged(path, found.staleText);
      continue;
    }
    if (found.purpose === 'runner' || Date.now() >= deadline) throw new StateDirBusyError(found, dir);
    await sleep(POLL_MS);
  }
}

/** A takeover guard older than this was left by a process killed mid-takeover (which takes milliseconds). */
const GUARD_STALE_MS = 10_000;

/**
 * Deletes a stale lock only if it is still the one judged stale. Two processes that both found
 * the same dead holder would otherwise both delete and re-create, the second deleting the
 * first's new lock, and both would open the directory. One takeover at a time, under a guard
 * file created exclusively; the lock is re-read under it.
 */
async function removeIfUnchanged(path: string, staleText: string): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await create(guard, String(process.pid)))) {
    const age = await stat(guard).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > GUARD_STALE_MS) await unlink(guard).catch(() => undefined);
    else await sleep(10);
    return;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now === staleText) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Filesystems without hard links (some network and VM shares): the file is then created in place. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates the file with its content in one step: written aside, then linked into place (link
 * fails if the file exists). A lock file is thus never seen empty, which a reader would take for
 * a stale lock. The aside file's name starts with the lock's, so a kill in between leaves a file
 * that state-dir.ts counts as the runner's own.
 */
async function create(path: string, content: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(aside, content, { flag: 'wx', mode: 0o600 });
  try {
    await link(aside, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(errorCode(error) ?? '')) throw error;
    try {
      await writeFile(path, content, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (inPlace) {
      if (errorCode(inPlace) === 'EEXIST') return false;
      throw inPlace;
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/** Who holds the lock, if a live process other than a former one with this process's pid does. */
export async function lockHolder(file: string): Promise<LockHolder | undefined> {
  const found = await inspect(resolve(file));
  return found === 'missing' || 'staleText' in found ? undefined : found;
}

/**
 * The lock file's holder; `staleText` (its content): a dead one, a former process with this
 * process's pid, or a live process that has the pid but started after the lock was written.
 */
async function inspect(path: string): Promise<LockHolder | 'missing' | { staleText: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'missing';
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { staleText: text };
  }
  if (!isRecord(value) || typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid)) return { staleText: text };
  // A pid means something only on its own host (or container): one on a shared volume written
  // elsewhere cannot be checked, so it counts as held.
  const here = typeof value.host !== 'string' || value.host === hostname();
  if (here && (!isAlive(value.pid) || (value.pid === process.pid && !heldHere.has(path)))) return { staleText: text };
  if (here && typeof value.started === 'string' && (await startedElsewhen(value.pid, value.started))) return { staleText: text };
  return { pid: value.pid, purpose: value.purpose === 'runner' ? 'runner' : 'command' };
}

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/PID/stat), or undefined
 * where there is no /proc (macOS) or the process is gone. With the pid it names one process for
 * the life of the machine: a pid alone may since have been given to an unrelated program, which
 * would otherwise hold the directory for as long as that program runs.
 */
async function processStart(pid: number): Promise<string | undefined> {
  let line: string;
  try {
    line = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** Whether the live process with this pid is not the one that wrote the lock. */
async function startedElsewhen(pid: number, started: string): Promise<boolean> {
  const now = await processStart(pid);
  return now !== undefined && now !== started;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}
