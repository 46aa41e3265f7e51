import { ConfigError, messageOf } from '../shared/domain/errors';
import type { Command } from './command';
import { checkCommand } from './commands/check';
import { devCommand } from './commands/dev';
import { replayCommand } from './commands/replay';
import { resetCursorCommand } from './commands/reset-cursor';
import { sendTestLeadCommand } from './commands/send-test-lead';
import { statusCommand } from './commands/status';
import { exitCodeOf, UsageError } from './errors';
import type { Io } from './io';

export const COMMANDS: readonly Command[] = [
  devCommand,
  statusCommand,
  replayCommand,
  resetCursorCommand,
  sendTestLeadCommand,
  checkCommand,
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: lead-forwarder <command> [options]',
    '',
    'Pulls new Alimama leads and forwards each to your webhooks; `dev` runs it all on this machine,',
    'the other commands operate it, locally (--state-dir) or deployed (--stack NAME).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `lead-forwarder <command> --help` for its options.',
  ].join('\n');
}

/**
 * Runs one command line and resolves with the exit code: 0 done, 1 failed, 2 bad usage or
 * configuration (then nothing was started). Errors are printed here, once, as what to do.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === args[0]) : undefined;
    if (name === undefined) {
      io.err(usage());
      return 2;
    }
    if (name === 'help' && args[0] !== undefined && topic === undefined) {
      io.err(`lead-forwarder: unknown command "${args[0]}"\n\n${usage()}`);
      return 2;
    }
    io.out(topic?.help ?? usage());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`lead-forwarder: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    report(error, command, io);
    return exitCodeOf(error);
  }
}

function report(error: unknown, command: Command, io: Io): void {
  if (error instanceof UsageError) {
    const synopsis = command.help.split('\n')[0] ?? '';
    io.err(
      `lead-forwarder ${command.name}: ${error.message}\n${synopsis}\nRun \`lead-forwarder ${command.name} --help\` for details.`,
    );
  } else if (error instanceof ConfigError) {
    io.err(`lead-forwarder ${command.name}: ${error.message}\nnothing was started; fix the configuration and run again`);
  } else {
    io.err(`lead-forwarder ${command.name}: ${messageOf(error)}`);
    if (process.env.LEAD_FORWARDER_DEBUG === '1' && error instanceof Error) io.err(error.stack ?? '');
  }
}
