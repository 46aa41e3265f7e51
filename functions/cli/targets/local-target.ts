import { lockHolder } from '../../local/state/lock';
import { localClients } from '../../local/emulators/aws-clients';
import { fromObject, loadConfigFile, type LoadedConfig } from '../../local/runner/config-file';
import { DEMO_ENDPOINT_NAME } from '../../local/demo/demo-config';
import { openLocalStores } from '../../local/state/local-stores';
import { STACK_MAX_RECEIVE_COUNT, STACK_VISIBILITY_TIMEOUT_SECONDS } from '../../local/runner/resources';
import { readProfile, readRunnerInfo, type RunnerInfo } from '../../local/state/runtime-files';
import { holdsRunnerState, stateDir, type StateDir } from '../../local/state/state-dir';
import { errorCode } from '../../shared/domain/errors';
import { SIMULATED_APP_KEY } from '../../local/simulators/alimama-gateway';
import { OperatorError, RunnerStoppedError } from '../errors';
import type { Stores, Target } from './target';

/**
 * The local state of `lead-forwarder dev`. With a runner running, commands talk to its servers
 * (runner.json says where); otherwise they open the directory themselves (dynalite on its
 * LevelDB, fauxqs filled from the saved queues, saved again on close), under the directory's
 * lock so that a runner cannot start meanwhile.
 */
export async function localTarget(root: string, configFile: string | undefined): Promise<Target> {
  const dir = stateDir(root);
  // A directory without the runner's files is not a state directory: opening it would create one
  // there (and `reset-cursor` would then write a cursor nobody reads).
  if (!holdsRunnerState(dir)) {
    throw new OperatorError(
      `no local state in ${dir.root}: run \`lead-forwarder dev\` there first, or pass --state-dir DIR, or --stack NAME for a deployed stack`,
    );
  }
  const runner = await readRunnerInfo(dir.runnerFile, dir.lockFile);
  const source = await settingsSource(dir, runner, configFile);
  const config = async (): Promise<LoadedConfig> => {
    if (source.kind === 'config') return source.load();
    throw new OperatorError(
      source.kind === 'stopped-demo'
        ? `${dir.root} holds the demo, whose gateway and inbox exist only while \`lead-forwarder dev\` runs: start it, then run this command in another terminal`
        : `${dir.root} does not say which config file it runs with: pass --config FILE`,
    );
  };
  return {
    kind: 'local',
    description: `local state in ${dir.root} (${runner === undefined ? 'runner stopped' : `runner running, pid ${runner.pid}`})`,
    forwarding: runner === undefined ? 'the next `lead-forwarder dev` forwards them' : 'the running runner forwards them now',
    open: (opts) => (runner === undefined ? openStopped(dir, opts?.readOnly === true) : attach(dir, runner)),
    appKey: async () => (source.kind === 'stopped-demo' ? SIMULATED_APP_KEY : (await config()).settings.top.appKey),
    endpoints: async () => (await config()).settings.webhooks,
    endpointNames: async () =>
      source.kind === 'stopped-demo' ? [DEMO_ENDPOINT_NAME] : (await config()).settings.webhooks.map((endpoint) => endpoint.name),
    top: async () => (await config()).settings.top,
  };
}

type SettingsSource = { kind: 'config'; load(): Promise<LoadedConfig> } | { kind: 'stopped-demo' } | { kind: 'unknown' };

/** --config, else the running demo's settings, else the config file the directory was last run with. */
async function settingsSource(
  dir: StateDir,
  runner: RunnerInfo | undefined,
  configFile: string | undefined,
): Promise<SettingsSource> {
  if (configFile !== undefined) return { kind: 'config', load: () => loadConfigFile(configFile) };
  if (runner?.demoConfig !== undefined) {
    const demo = runner.demoConfig;
    return { kind: 'config', load: () => Promise.resolve(fromObject(demo)) };
  }
  const profile = await readProfile(dir.profileFile);
  if (profile?.kind === 'demo') return { kind: 'stopped-demo' };
  if (profile?.kind === 'config') {
    const file = profile.configFile;
    return {
      kind: 'config',
      load: () =>
        loadConfigFile(file).catch((error: unknown) => {
          throw new OperatorError(`${dir.root} was last run with ${file}, which cannot be used now: pass --config FILE`, {
            cause: error,
          });
        }),
    };
  }
  return { kind: 'unknown' };
}

/** SDK middleware that turns a refused connection to `endpoint` into what it means for the runner. */
function refusalsExplained(dir: StateDir, runner: RunnerInfo, endpoint: string) {
  return <A, R>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      try {
        return await next(args);
      } catch (error) {
        throw await explainRefusal(error, dir, runner, endpoint);
      }
    };
}

function attach(dir: StateDir, runner: RunnerInfo): Promise<Stores> {
  const { ddb, sqs } = localClients(runner.endpoints);
  // Outermost (initialize step): the SDK has retried the connection by the time this sees it.
  const step = { step: 'initialize', name: 'runnerStopped' } as const;
  ddb.middlewareStack.add(refusalsExplained(dir, runner, runner.endpoints.dynamo), step);
  sqs.middlewareStack.add(refusalsExplained(dir, runner, runner.endpoints.sqs), step);
  return Promise.resolve({
    ddb,
    sqs,
    table: runner.table,
    leads: runner.queues.leads,
    deadLetters: runner.queues.deadLetters,
    close: () => {
      ddb.destroy();
      sqs.destroy();
      return Promise.resolve();
    },
  });
}

/**
 * A refused connection to the runner's servers, said as what happened instead of a bare
 * "connect ECONNREFUSED": the runner stopped (its lock is free now: running the command again
 * opens the directory itself), or the lock still names its pid, which then either is stopping
 * right now or is another program that got the pid of a runner killed with SIGKILL.
 */
async function explainRefusal(error: unknown, dir: StateDir, runner: RunnerInfo, endpoint: string): Promise<unknown> {
  if (errorCode(error) !== 'ECONNREFUSED') return error;
  const holder = await lockHolder(dir.lockFile).catch(() => undefined);
  if (holder?.purpose !== 'runner' || holder.pid !== runner.pid) {
    return new RunnerStoppedError(
      `the runner (pid ${runner.pid}) using ${dir.root} stopped while this command was talking to it: run the command again`,
      runner.pid,
      { cause: error },
    );
  }
  return new RunnerStoppedError(
    `the runner (pid ${runner.pid}) using ${dir.root} does not answer at ${endpoint}: it has stopped or is stopping; run the command again. ` +
      `If this repeats while no runner runs, pid ${runner.pid} is another program now (the runner was killed and its pid reused): delete ${dir.lockFile} and ${dir.runnerFile}`,
    runner.pid,
    { cause: error },
  );
}

async function openStopped(dir: StateDir, readOnly: boolean): Promise<Stores> {
  const stores = await openLocalStores(dir, {
    purpose: 'command',
    maxReceiveCount: STACK_MAX_RECEIVE_COUNT,
    visibilityTimeoutSeconds: STACK_VISIBILITY_TIMEOUT_SECONDS,
    readOnly,
  });
  return {
    ddb: stores.ddb,
    sqs: stores.sqs,
    table: stores.table,
    leads: stores.queues.leads,
    deadLetters: stores.queues.deadLetters,
    pendingRewinds: stores.pendingRewinds,
    close: () => stores.close(),
  };
}
