import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_STATE_DIR } from '../local/state/state-dir';
import { UsageError } from './errors';

/** A command's flags, as node:util parseArgs takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** The values parseFlags reads for `T`. */
export type FlagValues<T extends FlagOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'];

/**
 * Strict flag parsing for one command (node:util parseArgs): an unknown flag, a missing value or
 * a stray argument is a UsageError naming the command, so the user gets its usage and exit 2.
 */
export function parseFlags<T extends FlagOptions>(command: string, args: string[], options: T): FlagValues<T> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error),
      command,
      { cause: error },
    );
  }
  // parseArgs keeps the last of a repeated flag: `--to 1003 --to latest` would quietly do the
  // second, and these flags choose what is skipped or re-sent.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`, command);
    seen.add(token.name);
  }
  return parsed.values;
}

/** Flags every operator command takes to choose where it acts. */
export const TARGET_FLAGS = {
  'state-dir': { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  config: { type: 'string' },
} as const;

export const TARGET_HELP = `Where it acts (one of):
  --state-dir DIR          the local state of \`lead-forwarder dev\` (default .lead-forwarder);
                           a running runner is used through its servers, a stopped one is
                           opened directly
  --stack NAME             a deployed stack (reads its CloudFormation outputs)
    --region REGION        its region (default: AWS_REGION / your AWS profile)
  --config FILE            local only: the config file (default: the one \`dev\` last ran with)`;

/**
 * The state directory `--state-dir` names, or the default. An empty value is refused: it would
 * resolve to the working directory, which is almost never meant to hold the runner's state.
 */
export function stateDirFlag(command: string, value: string | undefined): string {
  if (value === '') throw new UsageError('--state-dir needs a directory (an empty value would be the current one)', command);
  return value ?? DEFAULT_STATE_DIR;
}
