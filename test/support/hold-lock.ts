// Another process holding a state directory's lock, as a lead-forwarder command or runner would:
// takes it with the real acquireLock, prints "held <pid>", and releases it after `releaseMs`
// (or when killed, if "never"). Args: lockFile purpose releaseMs|never [startAtEpochMs].
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock } from '../../functions/local/state/lock';

async function main(): Promise<void> {
  const [file, purpose, release, startAt] = process.argv.slice(2);
  if (file === undefined || (purpose !== 'runner' && purpose !== 'command') || release === undefined)
    throw new Error('usage: hold-lock.ts FILE runner|command MS|never [START_AT_EPOCH_MS]');
  // Several holders given one start time reach for the lock within a millisecond or two.
  if (startAt !== undefined) await sleep(Math.max(0, Number(startAt) - Date.now()));
  const lock = await acquireLock(file, dirname(file), purpose);
  process.stdout.write(`held ${process.pid}\n`);
  if (release === 'never') {
    setInterval(() => undefined, 60_000);
    return;
  }
  setTimeout(() => void lock.release(), Number(release));
}

void main();
