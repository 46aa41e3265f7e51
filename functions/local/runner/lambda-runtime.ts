import { randomUUID } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import type { Context } from 'aws-lambda';

/** The forwarder does not read its remaining time; what its context says anyway. */
export const FORWARDER_BUDGET_MS = 120_000;

/**
 * Runs `load` with process.stdout and stderr pointed at `stream`: Powertools' Logger takes the
 * two streams when it is created, so the handlers' JSON logs go to the log file rather than the
 * terminal, as the Lambda runtime points them at CloudWatch.
 */
export function withStdio<T>(stream: WriteStream, load: () => T): T {
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

/**
 * A context as Lambda gives one: the handlers' log lines carry its function name and request id
 * (Powertools' addContext), and the poller reads its remaining time.
 */
export function lambdaContext(fn: 'poller' | 'forwarder', budgetMs: number): Context {
  const deadline = Date.now() + budgetMs;
  const functionName = `lead-forwarder-local-${fn}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `local-${randomUUID()}`,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
