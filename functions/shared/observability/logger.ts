/**
 * The functions' structured logs: one JSON object per line, which Lambda sends to CloudWatch
 * Logs as it is. `info` goes to stdout, `warn` and `error` to stderr. Fields are what the caller
 * passes: lead ids, endpoint names, statuses, timings; never a lead's name, mobile or a secret.
 */

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  service: string;
  /** The lowest level written; INFO when not given or not a level. */
  level?: string;
  /**
   * Taken once, when the logger is made, as a Lambda runtime's streams are fixed for its life
   * (the local runner points them at its log file while the handlers load).
   */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  now?: () => Date;
  /** The X-Ray trace header of the current invocation (Lambda sets it in the environment per invocation). */
  traceHeader?: () => string | undefined;
}

export function createLogger({ service, level, stdout = process.stdout, stderr = process.stderr, now = () => new Date(), traceHeader = () => process.env._X_AMZN_TRACE_ID }: LoggerOptions): Logger {
  const threshold = RANK[parseLevel(level)];
  const write = (entryLevel: LogLevel, stream: NodeJS.WritableStream, message: string, fields: LogFields = {}): void => {
    if (RANK[entryLevel] < threshold) return;
    const entry: LogFields = { level: entryLevel, message, timestamp: now().toISOString(), service };
    // The trace id ties a line to its invocation in CloudWatch and X-Ray.
    const traceId = /(?:^|;)Root=([^;]+)/.exec(traceHeader() ?? '')?.[1];
    if (traceId !== undefined) entry.xray_trace_id = traceId;
    // A field cannot pass itself off as the level or the message.
    for (const [key, value] of Object.entries(fields)) if (!Object.hasOwn(entry, key)) entry[key] = value;
    stream.write(`${JSON.stringify(entry)}\n`);
  };
  return {
    info: (message, fields) => write('INFO', stdout, message, fields),
    warn: (message, fields) => write('WARN', stderr, message, fields),
    error: (message, fields) => write('ERROR', stderr, message, fields),
  };
}

function parseLevel(value: string | undefined): LogLevel {
  const upper = value?.trim().toUpperCase();
  // Lambda's own log-level setting says WARN as "WARN"; accept "WARNING" as people write it.
  const level = upper === 'WARNING' ? 'WARN' : upper;
  return level !== undefined && level in RANK ? (level as LogLevel) : 'INFO';
}
