import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, lockHolder, StateDirBusyError } from '../../../functions/local/lock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

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
