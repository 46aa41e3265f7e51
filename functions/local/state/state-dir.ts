import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { errorCode, LeadForwarderError, messageOf } from '../../shared/domain/errors';

/** Where `dev` keeps its state unless `--state-dir` says otherwise (relative to the working directory). */
export const DEFAULT_STATE_DIR = '.lead-forwarder';

/**
 * The files of a state directory. The DynamoDB data (cursor, scan state, ledger, endpoint
 * status) lives in LevelDB under `dynamo/`; the queues live in memory while a runner runs and in
 * `queues.json` between runs; `runner.json` exists only while a runner runs and tells operator
 * commands where its servers listen.
 */
export interface StateDir {
  root: string;
  dynamoDir: string;
  queuesFile: string;
  runnerFile: string;
  lockFile: string;
  profileFile: string;
  handlerLog: string;
}

export function stateDir(root: string): StateDir {
  const dir = resolve(root);
  return {
    root: dir,
    dynamoDir: join(dir, 'dynamo'),
    queuesFile: join(dir, 'queues.json'),
    runnerFile: join(dir, 'runner.json'),
    lockFile: join(dir, 'lock'),
    profileFile: join(dir, 'profile.json'),
    handlerLog: join(dir, 'handlers.log'),
  };
}

/** The state directory given cannot be used; the message says why and what to do instead. */
export class StateDirError extends LeadForwarderError {
  override readonly name: string = 'StateDirError';
}

/**
 * Whether `dir` holds a runner's state: what the first `dev` there creates before anything can
 * poll. The operator commands refuse any other directory, and so does `dev` unless it is empty.
 */
export function holdsRunnerState(dir: StateDir): boolean {
  return [dir.dynamoDir, dir.queuesFile, dir.runnerFile].some((file) => existsSync(file));
}

/**
 * Refuses a directory `dev` would take over: opening one makes it private (0700) and adds the
 * runner's files to whatever it holds, so `--state-dir .` would turn a project folder into a
 * state directory. A new directory (created on open), an empty one, one holding runner state,
 * and one holding nothing but the runner's own files (a runner killed while starting can leave
 * its lock alone) are fine.
 */
export async function checkRunnerDir(dir: StateDir): Promise<void> {
  const fix = 'pass --state-dir with a directory of its own (a new one is created)';
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir.root)).isDirectory();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    if (errorCode(error) === 'ENOTDIR')
      throw new StateDirError(`a part of ${dir.root} is a file, not a directory: ${fix}`, { cause: error });
    throw new StateDirError(`cannot use ${dir.root} as the state directory (${messageOf(error)}): ${fix}`, { cause: error });
  }
  if (!isDirectory) throw new StateDirError(`${dir.root} is a file, not a directory: ${fix}`);
  if (holdsRunnerState(dir)) return;
  const ownNames = new Set(
    [dir.dynamoDir, dir.queuesFile, dir.runnerFile, dir.lockFile, dir.profileFile, dir.handlerLog].map((file) => basename(file)),
  );
  let entries: string[];
  try {
    entries = await readdir(dir.root);
  } catch (error) {
    throw new StateDirError(`cannot read the state directory ${dir.root} (${messageOf(error)}): ${fix}`, { cause: error });
  }
  // The lock's side files (lock.<pid>.<random>, lock.takeover) can outlive a process killed while creating it.
  const lockPrefix = `${basename(dir.lockFile)}.`;
  const foreign = entries.filter((name) => !ownNames.has(name) && !name.startsWith(lockPrefix));
  if (foreign.length === 0) return;
  const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} entries)` : '');
  throw new StateDirError(
    `${dir.root} is not empty (${shown}) and holds no lead-forwarder state; the runner would add its files there and make it private (0700): ${fix}`,
  );
}
