import { Writable } from 'node:stream';
import { OBSERVABILITY_ENV } from '../../functions/shared/observability/observability';

/** What the handlers' Powertools logger and metrics write, as the Lambda runtime would see it. */

export type Line = Record<string, unknown>;

/** A stream that keeps each written line, parsed. */
function sink(): { stream: Writable; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { stream, lines };
}

/** Every variable the tests set, and the ones of the machine running them that would change the output. */
const VARIABLES = [
  ...Object.values(OBSERVABILITY_ENV),
  'AWS_LAMBDA_LOG_LEVEL',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  '_X_AMZN_TRACE_ID',
  'LOG_LEVEL',
  'POWERTOOLS_DEV',
  'TZ',
];

/**
 * Runs `body` with exactly `env` for those variables and with process.stdout and stderr pointed
 * at two sinks (Powertools takes the streams when a logger or a metrics object is made, and
 * `singleMetric()` makes one), as the Lambda runtime points them at CloudWatch.
 */
export function capture(env: Record<string, string>, body: () => void): { out: Line[]; err: Line[] } {
  const out = sink();
  const err = sink();
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  const stdout = Object.getOwnPropertyDescriptor(process, 'stdout')!;
  const stderr = Object.getOwnPropertyDescriptor(process, 'stderr')!;
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  Object.defineProperty(process, 'stdout', { configurable: true, get: () => out.stream });
  Object.defineProperty(process, 'stderr', { configurable: true, get: () => err.stream });
  try {
    body();
  } finally {
    Object.defineProperty(process, 'stdout', stdout);
    Object.defineProperty(process, 'stderr', stderr);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return { out: out.lines, err: err.lines };
}
