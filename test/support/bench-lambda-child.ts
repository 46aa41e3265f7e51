/**
 * A stand-in for the Lambda runtime in a child process: it `require`s one deployed bundle and
 * invokes its handler when the parent asks, over the IPC channel. Built by bench-lambda.ts with
 * esbuild into plain JS, so the child runs under bare `node` (no tsx), as in Lambda, and its
 * timings and memory are the bundle's own. Imports node built-ins and types only.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildReply, ChildRequest } from './bench-lambda';

type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

function reply(message: ChildReply): void {
  process.send?.(message);
}

function memory(): { rssKb: number; heapUsedKb: number; maxRssKb: number } {
  const usage = process.memoryUsage();
  // Linux reports ru_maxrss in kilobytes.
  return {
    rssKb: Math.round(usage.rss / 1024),
    heapUsedKb: Math.round(usage.heapUsed / 1024),
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

const bundle = process.env.BENCH_LAMBDA_BUNDLE;
if (bundle === undefined || process.send === undefined) {
  process.stderr.write('bench-lambda-child: BENCH_LAMBDA_BUNDLE and an IPC channel are required\n');
  process.exit(2);
}

const started = performance.now();
let handler: Handler;
try {
  const mod = createRequire(__filename)(bundle) as { handler: Handler };
  handler = mod.handler;
} catch (error) {
  reply({ type: 'load-failed', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exit(1);
}
// `performance.now()` counts from process start: `sinceStartMs` includes node's own boot.
reply({ type: 'loaded', loadMs: performance.now() - started, sinceStartMs: performance.now() });

const functionName = `bench-${path.basename(path.dirname(bundle))}`;
let invocations = 0;
process.on('message', (message: ChildRequest) => {
  if (message.type === 'exit') process.exit(0);
  const deadline = Date.now() + message.budgetMs;
  // What the handlers read of a Lambda context: their remaining time, and what Powertools puts on every log line.
  invocations += 1;
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `bench-${process.pid}-${invocations}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const t0 = performance.now();
  handler(message.event, context).then(
    (value) => reply({ type: 'result', ok: true, value, ms: performance.now() - t0, ...memory() }),
    (error: unknown) =>
      reply({
        type: 'result',
        ok: false,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        ms: performance.now() - t0,
        ...memory(),
      }),
  );
});
// The handler's keep-alive sockets would keep the process up after the parent is gone.
process.on('disconnect', () => process.exit(0));
