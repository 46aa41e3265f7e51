import type { Io } from './io';

/** One subcommand: its help text and what it does with its arguments; resolves with the exit code. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  help: string;
  run(args: string[], io: Io): Promise<number>;
}
