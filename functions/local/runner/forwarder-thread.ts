import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { SQSEvent } from 'aws-lambda';
import { messageOf } from '../../shared/domain/errors';
import type { ForwarderInvocation } from './lambda-host';
import { FORWARDER_BUDGET_MS, lambdaContext, withStdio } from './lambda-runtime';

type ForwarderModule = typeof import('../../forwarder/handler');

/** What the thread is started with. */
export interface ForwarderThreadData {
  logFile: string;
  containers: number;
}

/** One invocation of one container, or the end. */
export type ForwarderThreadRequest = { id: number; container: number; event: SQSEvent } | { close: true };

export type ForwarderThreadReply =
  | { ready: true }
  | { id: number; invocation: ForwarderInvocation }
  | { id: number; error: { name: string; message: string } }
  | { closed: true };

/**
 * The thread's side: `containers` forwarder containers, each a fresh evaluation of the handler
 * module (its module-scope clients, logger, metrics and secret cache), their logs appended to
 * the log file, invoked by message.
 */
function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('forwarder-thread.ts runs on a worker thread (lambda-host.ts starts it)');
  const { logFile, containers } = workerData as ForwarderThreadData;
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const load = createRequire(__filename);
  const handlerPath = load.resolve('../../forwarder/handler');
  const forwarders = withStdio(log, () =>
    Array.from({ length: containers }, () => {
      delete load.cache[handlerPath];
      return load(handlerPath) as ForwarderModule;
    }),
  );
  const reply = (message: ForwarderThreadReply): void => port.postMessage(message);
  port.on('message', (request: ForwarderThreadRequest) => {
    if ('close' in request) {
      log.end(() => reply({ closed: true }));
      return;
    }
    const forwarder = forwarders[request.container];
    if (forwarder === undefined) {
      reply({ id: request.id, error: { name: 'RangeError', message: `no forwarder container ${request.container}` } });
      return;
    }
    forwarder.forwardEvent(request.event, lambdaContext('forwarder', FORWARDER_BUDGET_MS)).then(
      (invocation) => reply({ id: request.id, invocation }),
      (error: unknown) =>
        reply({ id: request.id, error: { name: error instanceof Error ? error.name : 'Error', message: messageOf(error) } }),
    );
  });
  reply({ ready: true });
}

main();
