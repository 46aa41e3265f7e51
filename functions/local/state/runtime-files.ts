import { readFile, rm, writeFile } from 'node:fs/promises';
import { isRecord } from '../../shared/domain/is-record';
import { lockHolder } from './lock';
import type { LocalQueues, QueueRef } from '../emulators/sqs-server';

/**
 * Two small files that let operator commands find what a runner uses:
 * - `profile.json` (kept): what the directory was last run with, a config file or the demo, so
 *   that `status` and friends know the endpoints and the source without being told again;
 * - `runner.json` (only while a runner runs): where its servers listen, so that commands talk to
 *   them instead of opening the (locked) state themselves.
 * Neither holds a secret of a real configuration: a config file is referred to by its path.
 */

export type Profile =
  | { kind: 'config'; configFile: string }
  /** The demo's settings (made-up keys and a throwaway inbox secret), as a config-file object. */
  | { kind: 'demo' };

export interface RunnerInfo {
  pid: number;
  endpoints: { dynamo: string; sqs: string };
  table: string;
  queues: LocalQueues;
  /** The demo's configuration while it runs: its gateway and inbox exist only then. */
  demoConfig?: Record<string, unknown>;
}

export async function writeProfile(file: string, profile: Profile): Promise<void> {
  await writeFile(file, `${JSON.stringify(profile)}\n`, { mode: 0o600 });
}

export async function readProfile(file: string): Promise<Profile | undefined> {
  const value = await readJson(file);
  if (!isRecord(value)) return undefined;
  if (value.kind === 'demo') return { kind: 'demo' };
  if (value.kind === 'config' && typeof value.configFile === 'string') return { kind: 'config', configFile: value.configFile };
  return undefined;
}

export async function writeRunnerInfo(file: string, info: RunnerInfo): Promise<void> {
  await writeFile(file, `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

export async function removeRunnerInfo(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * The live runner's servers, or undefined when no runner is running. The lock decides, as it
 * does for `dev`: a runner.json left by a runner killed with SIGKILL stays behind, and its pid may
 * belong to an unrelated process by now, so the file counts only while its pid holds the lock.
 */
export async function readRunnerInfo(file: string, lockFile: string): Promise<RunnerInfo | undefined> {
  const value = await readJson(file);
  if (!isRecord(value) || typeof value.pid !== 'number') return undefined;
  const holder = await lockHolder(lockFile);
  if (holder?.purpose !== 'runner' || holder.pid !== value.pid) return undefined;
  const { endpoints, queues } = value;
  if (!isRecord(endpoints) || typeof endpoints.dynamo !== 'string' || typeof endpoints.sqs !== 'string') return undefined;
  if (typeof value.table !== 'string' || !isRecord(queues)) return undefined;
  const leads = queueRef(queues.leads);
  const deadLetters = queueRef(queues.deadLetters);
  if (leads === undefined || deadLetters === undefined) return undefined;
  const info: RunnerInfo = {
    pid: value.pid,
    endpoints: { dynamo: endpoints.dynamo, sqs: endpoints.sqs },
    table: value.table,
    queues: { leads, deadLetters },
  };
  if (isRecord(value.demoConfig)) info.demoConfig = value.demoConfig;
  return info;
}

function queueRef(value: unknown): QueueRef | undefined {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.url !== 'string' || typeof value.arn !== 'string')
    return undefined;
  return { name: value.name, url: value.url, arn: value.arn };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}
