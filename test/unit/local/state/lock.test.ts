import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, lockHolder, StateDirBusyError } from '../../../../functions/local/state/lock';
import { holdLock, type LockHolderProcess } from '../../../support/lock-holder';

let dir: string;
const holders: LockHolderProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-'));
});
afterEach(async () => {
  for (const holder of holders.splice(0)) {
    holder.kill();
    await holder.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

it('lets one process hold a state directory and names the holder to the next', async () => {
  const file = join(dir, 'lock');
  const lock = await acquireLock(file, dir, 'runner');
  await expect(acquireLock(file, dir, 'command')).rejects.toThrow(StateDirBusyError);
  await expect(acquireLock(file, dir, 'command')).rejects.toThrow(/a runner \(pid \d+\) is using .*: stop it first/);
  expect(await lockHolder(file)).toEqual({ pid: process.pid, purpose: 'runner' });
  await lock.release();
  const again = await acquireLock(file, dir, 'command');
  await again.release();
});

it('takes over a lock whose holder died', async () => {
  const file = join(dir, 'lock');
  // The pid of a process that has exited.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  await writeFile(file, JSON.stringify({ pid: dead, purpose: 'runner' }));
  const lock = await acquireLock(file, dir, 'command');
  expect(await lockHolder(file)).toEqual({ pid: process.pid, purpose: 'command' });
  await lock.release();
});

// Two containers sharing the state directory on a volume: each is pid 1 in its own namespace.
it('counts a lock written on another host as held, whatever its pid: it cannot be checked from here', async () => {
  const file = join(dir, 'lock');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  for (const pid of [process.pid, dead]) {
    await writeFile(file, JSON.stringify({ pid, host: 'another-container', purpose: 'runner' }));
    expect(await lockHolder(file)).toEqual({ pid, purpose: 'runner' });
    await expect(acquireLock(file, dir, 'command')).rejects.toThrow(`a runner (pid ${pid}) is using`);
  }
});

// A container restarts and the runner is pid 1 again: the lock its previous life left names it.
it('takes over a lock that names this process without it holding the lock: a former process with the same pid left it', async () => {
  const file = join(dir, 'lock');
  await writeFile(file, JSON.stringify({ pid: process.pid, purpose: 'runner', at: '2026-01-01T00:00:00.000Z' }));
  expect(await lockHolder(file)).toBeUndefined();
  const lock = await acquireLock(file, dir, 'runner');
  expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'runner' });
  expect(JSON.parse(await readFile(file, 'utf8'))).not.toMatchObject({ at: '2026-01-01T00:00:00.000Z' });
  // Held now, by this process: a second open here is still refused (dynalite allows one).
  await expect(acquireLock(file, dir, 'command')).rejects.toThrow(/a runner \(pid \d+\) is using/);
  await lock.release();
});

// The runner was killed; its pid went to an unrelated program that is still running.
it('takes over a lock whose pid now belongs to a process that started after the lock was written', async () => {
  const file = join(dir, 'lock');
  const unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const pid = unrelated.pid!;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    // Written by that very process: held.
    await writeFile(file, JSON.stringify({ pid, host: hostname(), started, purpose: 'runner' }));
    expect(await lockHolder(file)).toEqual({ pid, purpose: 'runner' });
    // Written by an earlier process with the same pid: stale.
    await writeFile(file, JSON.stringify({ pid, host: hostname(), started: String(Number(started) - 1), purpose: 'runner' }));
    expect(await lockHolder(file)).toBeUndefined();
    const lock = await acquireLock(file, dir, 'runner');
    const written = JSON.parse(await readFile(file, 'utf8')) as { pid: number; started?: string };
    expect(written.pid).toBe(process.pid);
    expect(written.started).toMatch(/^\d+$/);
    await lock.release();
  } finally {
    unrelated.kill();
  }
});

it('waits for a command that holds the directory and takes it when the command lets go', async () => {
  const file = join(dir, 'lock');
  const holder = await holdLock(file, 'command', 1_000);
  holders.push(holder);
  expect(await lockHolder(file)).toEqual({ pid: holder.pid, purpose: 'command' });
  const lock = await acquireLock(file, dir, 'runner', { commandWaitMs: 20_000 });
  expect(await lockHolder(file)).toEqual({ pid: process.pid, purpose: 'runner' });
  await holder.exited; // the holder ended cleanly, having released its lock
  // Taken after the holder let go, not from under it: its release did not remove ours.
  expect(await lockHolder(file)).toEqual({ pid: process.pid, purpose: 'runner' });
  await lock.release();
});

it('lets one process at a time take over a stale lock, however many find it at once', async () => {
  const file = join(dir, 'lock');
  const HOLD_MS = 400;
  for (let trial = 0; trial < 3; trial += 1) {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(file, JSON.stringify({ pid: dead, purpose: 'runner' }));
    // Five processes race for it; each holds it HOLD_MS, so the others wait (it is a command's).
    const acquiredAt: number[] = [];
    const startAt = Date.now() + 4_000; // after every contender has started
    const contenders = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const holder = await holdLock(file, 'command', HOLD_MS, startAt);
        acquiredAt.push(Date.now());
        return holder;
      }),
    );
    holders.push(...contenders);
    await Promise.all(contenders.map((c) => c.exited));
    const sorted = acquiredAt.sort((a, b) => a - b);
    // Two holders at once would show as two acquisitions closer together than a hold.
    expect(
      sorted
        .slice(1)
        .map((at, i) => at - sorted[i]!)
        .filter((gap) => gap < HOLD_MS - 150),
    ).toEqual([]);
    expect(await lockHolder(file)).toBeUndefined();
  }
}, 60_000);

it('gives up on a command that keeps the directory past the wait, naming it', async () => {
  const file = join(dir, 'lock');
  const holder = await holdLock(file, 'command', 'never');
  holders.push(holder);
  await expect(acquireLock(file, dir, 'runner', { commandWaitMs: 300 })).rejects.toThrow(
    new StateDirBusyError({ pid: holder.pid, purpose: 'command' }, dir),
  );
  await expect(acquireLock(file, dir, 'command', { commandWaitMs: 300 })).rejects.toThrow(
    `another lead-forwarder command (pid ${holder.pid}) is using ${dir}: wait for it to finish`,
  );
  expect(await lockHolder(file)).toEqual({ pid: holder.pid, purpose: 'command' });
});

it('does not wait for a runner: it holds the directory until stopped', async () => {
  const file = join(dir, 'lock');
  const holder = await holdLock(file, 'runner', 'never');
  holders.push(holder);
  // A wait as long as the test's own timeout: the refusal must come without it.
  await expect(acquireLock(file, dir, 'command', { commandWaitMs: 120_000 })).rejects.toThrow(
    `a runner (pid ${holder.pid}) is using ${dir}: stop it first`,
  );
});
