import { loadConfigFile } from '../../local/runner/config-file';
import { runDev } from '../../local/runner/dev';
import { ONCE_MAX_RECEIVE_COUNT } from '../../local/runner/resources';
import { DEFAULT_STATE_DIR } from '../../local/state/state-dir';
import { defineCommand, type Command } from '../command';
import { stateDirFlag } from '../flags';

const HELP = `Usage: lead-forwarder dev [--config FILE] [--once] [--state-dir DIR]

Runs the whole pipeline on this machine: the real poller and forwarder handlers, with embedded
DynamoDB- and SQS-compatible servers and a local Secrets Manager. The cursor, the ledger and
the queues are kept in the state directory, so a restart continues where the last run stopped.

  --config FILE     a JSON config file (top, webhooks, startFrom, …: README "Configuration");
                    polls the real gateway and delivers to the real webhooks. Without it: a
                    demo with a simulated Alimama gateway and a local webhook inbox.
  --once            one poll (60 s budget), then deliver until the queue is empty, retries a
                    second apart (${ONCE_MAX_RECEIVE_COUNT} attempts); prints a JSON summary as the last stdout line:
                    {"enqueued","delivered","failed","cursor","retried","parked"[,"error"]}.
                    Exit 0 only if the poll worked and nothing failed.
  --state-dir DIR   where state is kept (default ${DEFAULT_STATE_DIR}): a new or empty
                    directory, or one an earlier \`dev\` used; any other is refused

Ctrl-C stops cleanly: polling stops, deliveries in flight finish, the queues are saved.
Exit codes: 0 ok, 1 a poll or delivery failed, 2 bad config or usage (nothing started).`;

export const devCommand: Command = defineCommand({
  name: 'dev',
  summary: 'run the whole pipeline on this machine (a demo without --config)',
  help: HELP,
  flags: {
    config: { type: 'string' },
    once: { type: 'boolean' },
    'state-dir': { type: 'string' },
  },
  async run(flags) {
    const stateDir = stateDirFlag('dev', flags['state-dir']);
    // Validated before anything starts: a bad file leaves no state directory behind.
    const config = flags.config === undefined ? undefined : await loadConfigFile(flags.config);
    return runDev({ stateDir, once: flags.once === true, config });
  },
});
