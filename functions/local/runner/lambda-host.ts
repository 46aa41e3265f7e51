import { createWriteStream, renameSync, statSync, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BatchResult } from '../../forwarder/forward';
import type { PollSummary } from '../../poller/handler';

type PollerModule = typeof import('../../poller/handler');
type ForwarderModule = typeof import('../../forwarder/handler');

/** What one forwarder invocation answered Lambda, and the batch result it made that answer from. */
export interface ForwarderInvocation {
  response: SQSBatchResponse;
  result: BatchResult;
}

/** One forwarder container: its own module instance (clients, logger, caches), one batch at a time. */
export interface ForwarderContainer {
  /** One forwarder invocation with an SQS batch. */
  forward(event: SQSEvent): Promise<ForwarderInvocation>;
}

/** The two real Lambda handlers, loaded in this process the way the runtime would load them. */
export interface LocalLambdas {
  /** One poller invocation with `budgetMs` to run (its context's remaining time). */
  poll(budgetMs: number): Promise<PollSummary>;
  /** As many forwarder containers as were asked for, each loaded on its own. */
  forwarders: ForwarderContainer[];
  /** Flushes and closes the handlers' log file. */
  close(): Promise<void>;
}

/**
 * Sets the environment, then loads the handlers (they read it, create their SDK clients and
 * their loggers at module load, like in a Lambda container). Their JSON logs go to `logFile`
 * rather than the terminal: Powertools' Logger takes process.stdout/stderr when it is created,
 * so the two streams point at the file exactly while the modules load, as the Lambda runtime
 * points them at CloudWatch.
 */
export function loadLambdas(env: Record<string, string>, logFile: string, opts: { forwarders: number }): LocalLambdas {
  Object.assign(process.env, env);
  rotate(logFile);
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const load = createRequire(__filename);
  const forwarderPath = load.resolve('../../forwarder/handler');
  const { poller, forwarders } = withStdio(log, () => ({
    poller: load('../../poller/handler') as PollerModule,
    // Lambda runs concurrent invocations in separate containers, never two in one: each gets a
    // fresh evaluation of the handler module (its module-scope clients, logger, metrics and
    // secret cache), while the libraries it imports stay loaded once, as code shared on disk.
    forwarders: Array.from({ length: opts.forwarders }, () => {
      delete load.cache[forwarderPath];
      return load(forwarderPath) as ForwarderModule;
    }),
  }));
  return {
    poll: (budgetMs) => poller.handler({}, lambdaContext('poller', budgetMs)),
    forwarders: forwarders.map((forwarder) => ({
      forward: (event) => forwarder.forwardEvent(event, lambdaContext('forwarder', FORWARDER_BUDGET_MS)),
    })),
    close: () => new Promise<void>((resolve) => log.end(() => resolve())),
  };
}

/** The log is kept across runs; past this size the previous one is moved to `<file>.1`. */
const MAX_LOG_BYTES = 10 * 1024 * 1024;

function rotate(file: string): void {
  try {
    if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // No log yet.
  }
}

function withStdio<T>(stream: WriteStream, load: () => T): T {
  const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
  const stderr = Object.getOwnPropertyDescriptor(process, 'stderr');
  if (stdout === undefined || stderr === undefined) return load();
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stream });
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stream });
  try {
    return load();
  } finally {
    Object.defineProperty(process, 'stdout', stdout);
    Object.defineProperty(process, 'stderr', stderr);
  }
}

/** The forwarder does not read its remaining time; what its context says anyway. */
const FORWARDER_BUDGET_MS = 120_000;
let invocations = 0;

/**
 * A context as Lambda gives one: the handlers' log lines carry its function name and request id
 * (Powertools' addContext), and the poller reads its remaining time.
 */
function lambdaContext(fn: 'poller' | 'forwarder', budgetMs: number): Context {
  const deadline = Date.now() + budgetMs;
  const functionName = `lead-forwarder-local-${fn}`;
  invocations += 1;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `local-${Date.now()}-${invocations}`,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
