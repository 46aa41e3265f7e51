import { open, readFile, unlink } from 'node:fs/promises';
import { LeadForwarderError } from '../shared/errors';
import { isRecord } from '../shared/lead';

/**
 * An exclusive lock on a state directory. dynalite's LevelDB allows one process per directory
 * and a second one crashes the process (an unhandled stream error) instead of failing cleanly,
 * so every process that opens the directory takes this lock first. A lock left by a process
 * that died is taken over.
 */
export interface StateLock {
  release(): Promise<void>;
}

export type LockPurpose = 'runner' | 'command';

/** Another live process holds the state directory. */
export class StateDirBusyError extends LeadForwarderError {
  constructor(
    readonly holder: { pid: number; purpose: LockPurpose },
    dir: string,
  ) {
    super(
      holder.purpose === 'runner'
        ? `a runner (pid ${holder.pid}) is using ${dir}: stop it first (Ctrl-C), or pass another --state-dir`
        : `another lead-forwarder command (pid ${holder.pid}) is using ${dir}: wait for it to finish`,
    );
  }
}

export async function acquireLock(file: string, dir: string, purpose: LockPurpose): Promise<StateLock> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, purpose, at: new Date().toISOString() }));
      await handle.close();
      return { release: () => unlink(file).catch(() => undefined) };
    } catch (error) {
      if (codeOf(error) !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = await readHolder(file);
    if (holder !== undefined && isAlive(holder.pid)) throw new StateDirBusyError(holder, dir);
    // The holder died without releasing: the directory is free.
    await unlink(file).catch(() => undefined);
  }
}

/** Who holds the lock, if anyone alive does. */
export async function lockHolder(file: string): Promise<{ pid: number; purpose: LockPurpose } | undefined> {
  const holder = await readHolder(file);
  return holder !== undefined && isAlive(holder.pid) ? holder : undefined;
}

async function readHolder(file: string): Promise<{ pid: number; purpose: LockPurpose } | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid)) return undefined;
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
