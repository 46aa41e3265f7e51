import { createWriteStream, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BatchResult } from '../../forwarder/forward';
import type { PollSummary } from '../../poller/handler';
import { LeadForwarderError } from '../../shared/domain/errors';
import type { ForwarderThreadData, ForwarderThreadReply, ForwarderThreadRequest } from './forwarder-thread';
import { lambdaContext, withStdio } from './lambda-runtime';

type PollerModule = typeof import('../../poller/handler');

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

/** The two real Lambda handlers, loaded the way the runtime would load them. */
export interface LocalLambdas {
  /** One poller invocation with `budgetMs` to run (its context's remaining time). */
  poll(budgetMs: number): Promise<PollSummary>;
  /** As many forwarder containers as were asked for, each loaded on its own. */
  forwarders: ForwarderContainer[];
  /** Flushes and closes the handlers' log file, and stops the forwarders' thread. */
  close(): Promise<void>;
}

/** A forwarder invocation threw (its error's name and message, as the thread reported them). */
export class ForwarderInvocationError extends LeadForwarderError {
  override readonly name: string = 'ForwarderInvocationError';
}

/** The forwarders' thread stopped (it crashed, or the runner is closing): no invocation can be answered. */
export class ForwarderThreadError extends LeadForwarderError {
  override readonly name: string = 'ForwarderThreadError';
}

/** The thread's script: plain CommonJS beside this file, which registers tsx and loads forwarder-thread.ts. */
const THREAD_SCRIPT = join(__dirname, 'forwarder-thread.cjs');

/**
 * Sets the environment, then loads the handlers (they read it, create their SDK clients and
 * their loggers at module load, like in a Lambda container). Their JSON logs go to `logFile`
 * rather than the terminal (see withStdio).
 *
 * The poller runs on this thread. The forwarder containers run on a thread of their own, as
 * Lambda runs them on machines of their own: on this one they would share one event loop with
 * the poller, the SQS server and the event source, and hold the pipeline to one core (their
 * SDK calls and webhook requests were ~70% of it) while the other core waits.
 */
export async function loadLambdas(
  env: Record<string, string>,
  logFile: string,
  opts: { forwarders: number },
): Promise<LocalLambdas> {
  Object.assign(process.env, env);
  rotate(logFile);
  // Started first: the thread loads its handler modules while this one loads the poller's.
  const thread = startForwarderThread({ logFile, containers: opts.forwarders });
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  let poller: PollerModule;
  try {
    const load = createRequire(__filename);
    poller = withStdio(log, () => load('../../poller/handler') as PollerModule);
    await thread.ready;
  } catch (error) {
    await thread.close();
    await new Promise<void>((resolve) => log.end(() => resolve()));
    throw error;
  }
  return {
    poll: (budgetMs) => poller.handler({}, lambdaContext('poller', budgetMs)),
    forwarders: Array.from({ length: opts.forwarders }, (_, container) => ({
      forward: (event) => thread.invoke(container, event),
    })),
    close: async () => {
      await thread.close();
      await new Promise<void>((resolve) => log.end(() => resolve()));
    },
  };
}

interface ForwarderThread {
  ready: Promise<void>;
  invoke(container: number, event: SQSEvent): Promise<ForwarderInvocation>;
  close(): Promise<void>;
}

function startForwarderThread(data: ForwarderThreadData): ForwarderThread {
  const worker = new Worker(THREAD_SCRIPT, { workerData: data });
  const waiting = new Map<number, { resolve(invocation: ForwarderInvocation): void; reject(error: Error): void }>();
  let nextId = 1;
  let stopped: Error | undefined;
  let markReady: () => void = () => undefined;
  let markClosed: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new ForwarderThreadError(`the forwarders' thread exited (code ${code}) while loading`)));
  });
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const stop = (error: Error): void => {
    stopped ??= error;
    for (const entry of waiting.values()) entry.reject(stopped);
    waiting.clear();
  };
  worker.on('message', (reply: ForwarderThreadReply) => {
    if ('ready' in reply) return markReady();
    if ('closed' in reply) return markClosed();
    const entry = waiting.get(reply.id);
    waiting.delete(reply.id);
    if ('invocation' in reply) entry?.resolve(reply.invocation);
    else entry?.reject(new ForwarderInvocationError(`${reply.error.name}: ${reply.error.message}`));
  });
  worker.on('error', (error) =>
    stop(new ForwarderThreadError(`the forwarders' thread failed: ${error.message}`, { cause: error })),
  );
  worker.on('exit', (code) => {
    stop(new ForwarderThreadError(`the forwarders' thread exited (code ${code})`));
    markClosed();
  });
  const send = (request: ForwarderThreadRequest): void => worker.postMessage(request);
  return {
    ready,
    invoke: (container, event) =>
      new Promise<ForwarderInvocation>((resolve, reject) => {
        if (stopped !== undefined) return reject(stopped);
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        send({ id, container, event });
      }),
    close: async () => {
      if (stopped === undefined) send({ close: true });
      await closed;
      await worker.terminate();
    },
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
