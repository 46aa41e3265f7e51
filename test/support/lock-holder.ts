import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(__dirname, '../..');

/** A separate process holding a lock file (hold-lock.ts), started and known to hold it. */
export interface LockHolderProcess {
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  kill(): void;
}

/** Resolves once the holder has the lock; `release`: after how many ms it lets go, or never (until killed). */
export function holdLock(
  file: string,
  purpose: 'runner' | 'command',
  release: number | 'never',
  startAt?: number,
): Promise<LockHolderProcess> {
  const args = [file, purpose, String(release), ...(startAt === undefined ? [] : [String(startAt)])];
  const child = spawn(process.execPath, [join(ROOT, 'functions/cli/tsx.cjs'), join(__dirname, 'hold-lock.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolveHolder, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const pid = /^held (\d+)$/.exec(line)?.[1];
      if (pid === undefined) reject(new Error(`the lock holder said ${line}`));
      else resolveHolder({ pid: Number(pid), exited, kill: () => child.kill('SIGKILL') });
    });
    void exited.then(() => reject(new Error(`the lock holder exited before holding the lock: ${stderr}`)));
  });
}
