import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The real command line, spawned as a user would run it: `node functions/cli/bin.cjs …`. */

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'functions/cli/bin.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (killed after `timeoutMs`); `env` is added to this process's environment. */
export function runCli(args: string[], timeoutMs = 45_000, env: Record<string, string> = {}): Promise<CliResult> {
  return finished(startCli(args, env), timeoutMs);
}

/** A CLI process still running, with its output so far. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

export function startCli(args: string[], env: Record<string, string> = {}): RunningCli {
  return startNode([BIN, ...args], env);
}

/** A TypeScript entry point run as the README runs one: `node functions/cli/tsx.cjs <script> …` (`script` from the root). */
export function startScript(script: string, args: string[], env: Record<string, string> = {}): RunningCli {
  return startNode([join(ROOT, 'functions/cli/tsx.cjs'), script, ...args], env);
}

function startNode(args: string[], env: Record<string, string>): RunningCli {
  // stdin ignored: a command never finds a terminal to ask on, as in CI.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

export function finished(cli: RunningCli, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      cli.child.kill('SIGKILL');
      reject(new Error(`CLI did not finish within ${timeoutMs} ms\nstdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`));
    }, timeoutMs);
    // 'close' rather than 'exit': it comes after the output pipes are drained.
    cli.child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout: cli.stdout(), stderr: cli.stderr() });
    });
  });
}

/** Resolves once `pattern` shows up on stdout (rejects after `timeoutMs`). */
export async function waitForOutput(cli: RunningCli, pattern: RegExp, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pattern.test(cli.stdout())) {
    if (Date.now() > end)
      throw new Error(
        `no ${String(pattern)} on stdout within ${timeoutMs} ms\nstdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`,
      );
    if (cli.child.exitCode !== null)
      throw new Error(
        `the CLI exited (${cli.child.exitCode}) before printing ${String(pattern)}\nstdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves with the first value of `check` that is not undefined (asked every 100 ms); rejects after `timeoutMs`, naming `what`. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The `--once` summary: the last line of stdout, parsed. */
export function summaryOf(result: CliResult): Record<string, unknown> {
  const lines = result.stdout.trimEnd().split('\n');
  const last = lines.at(-1) ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`the last stdout line is not JSON: ${last}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `lead-forwarder-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function writeJson(path: string, value: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}
