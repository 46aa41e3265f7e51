import { parseFlags, TARGET_FLAGS, type FlagOptions, type FlagValues } from './flags';
import type { Io } from './io';
import { resolveTarget } from './targets/resolve-target';
import type { Target } from './targets/target';

/** One subcommand: its help text and what it does with its arguments; resolves with the exit code. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

/** Every command takes --help (-h): it prints the command's help, and nothing else is done. */
const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;

/** A command as defineCommand takes it: its flags, and what it does with them. */
export interface CommandSpec<T extends FlagOptions> extends Omit<Command, 'run'> {
  /** Its flags, but for --help, which every command has. */
  flags: T;
  /** Runs once the flags are read and --help was not given; resolves with the exit code. */
  run: (flags: FlagValues<T>, io: Io) => Promise<number>;
}

/**
 * A command from its spec. The preamble every command shares is done here: the flags are read
 * strictly (a bad one is a UsageError naming the command) and --help prints the help.
 */
export function defineCommand<T extends FlagOptions>(spec: CommandSpec<T>): Command {
  const { flags: options, run, ...command } = spec;
  return {
    ...command,
    async run(args, io) {
      const flags = parseFlags(command.name, args, { ...options, ...HELP_FLAG });
      if ('help' in flags && flags.help === true) {
        io.out(command.help);
        return 0;
      }
      return run(flags, io);
    },
  };
}

/** A command that acts on local state or a stack, as defineTargetCommand takes it. */
export interface TargetCommandSpec<T extends FlagOptions> extends Omit<Command, 'run'> {
  /** Its own flags, beside TARGET_FLAGS (--state-dir, --stack, --region, --config) and --help. */
  flags: T;
  /**
   * Runs once the flags are read and --help was not given. `target()` resolves the place the
   * flags name (contradictory flags are a UsageError), when the command is ready to act on it.
   */
  run: (flags: FlagValues<typeof TARGET_FLAGS & T>, io: Io, target: () => Promise<Target>) => Promise<number>;
}

/** An operator command (status, replay, …): defineCommand, with the target flags and their resolution. */
export function defineTargetCommand<T extends FlagOptions>(spec: TargetCommandSpec<T>): Command {
  const { flags, run, ...command } = spec;
  return defineCommand({
    ...command,
    flags: { ...TARGET_FLAGS, ...flags },
    run: (values, io) => run(values, io, () => resolveTarget(command.name, values)),
  });
}
