import { join, resolve } from 'node:path';

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
