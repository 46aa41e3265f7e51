import { StateDirError } from '../local/state/state-dir';
import { ConfigError, LeadForwarderError } from '../shared/domain/errors';

/** The command line itself is wrong (unknown command or flag, a missing value): exit 2 with usage. */
export class UsageError extends LeadForwarderError {
  override readonly name: string = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at, if any. */
    readonly command?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An operator command cannot do what was asked; the message says what to do instead. Exit 1. */
export class OperatorError extends LeadForwarderError {
  override readonly name: string = 'OperatorError';
}

/**
 * The runner a command was talking to (through its servers) refused the connection: it stopped,
 * or it was killed and its files name a pid that another program has now.
 */
export class RunnerStoppedError extends OperatorError {
  override readonly name: string = 'RunnerStoppedError';
  constructor(
    message: string,
    readonly pid: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 2 for usage and configuration problems, a state directory `dev` cannot use included (nothing was started); 1 for anything else. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError || error instanceof ConfigError || error instanceof StateDirError ? 2 : 1;
}
