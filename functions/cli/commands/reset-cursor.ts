import type { SourceState } from '../../poller/ports';
import { DynamoStateStore, sourceKey } from '../../shared/aws/scan-state';
import { messageOf, StateConflictError } from '../../shared/domain/errors';
import { compareIds, isLeadId, type LeadId } from '../../shared/domain/ids';
import { defineTargetCommand, type Command } from '../command';
import { OperatorError, UsageError } from '../errors';
import { TARGET_HELP } from '../flags';
import type { Io } from '../io';
import { newestLeadId } from '../newest-lead';
import type { Target } from '../targets/target';

const HELP = `Usage: lead-forwarder reset-cursor --to latest|ID [--yes] [--state-dir DIR | --stack NAME [--region R]] [--config FILE]

Moves the cursor: the next poll enqueues the leads above it. A scan in progress is dropped and
the lookback starts afresh. The write is conditional on the state not changing meanwhile, so
it never races a poll.

  --to latest   skip everything up to the newest lead now (asks the gateway which one that is)
  --to ID       forward again every lead above ID; webhooks that already got a lead are skipped
                by the ledger, so this is how a new webhook is back-filled. An ID above the
                newest lead is refused (it would silently skip the leads up to it)
  --yes         do not ask for confirmation (required when not on a terminal)

${TARGET_HELP}`;

export const resetCursorCommand: Command = defineTargetCommand({
  name: 'reset-cursor',
  summary: 'move the cursor: --to latest skips the backlog, --to ID re-sends from there',
  help: HELP,
  flags: { to: { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
  async run(flags, io, resolveTarget) {
    const to = flags.to;
    if (to === undefined) throw new UsageError('--to is required: "latest" or a lead id', 'reset-cursor');
    if (to !== 'latest' && !isLeadId(to))
      throw new UsageError(`--to must be "latest" or a lead id (digits), not ${JSON.stringify(to)}`, 'reset-cursor');
    if (flags.yes !== true && !io.interactive)
      throw new UsageError(
        'reset-cursor changes what gets forwarded and there is no terminal to confirm on: pass --yes',
        'reset-cursor',
      );

    const target = await resolveTarget();
    const appKey = await target.appKey();
    const cursor = to === 'latest' ? await newestLeadId(await target.top()) : to;
    if (cursor === undefined)
      throw new OperatorError('the source has no leads yet, so there is nothing to skip: the first poll starts from startFrom');

    // Asked before the state directory is opened: a gateway that does not answer must not keep
    // the directory from the runner for the call's whole budget.
    const newest = to === 'latest' ? undefined : await askNewest(target);
    const stores = await target.open();
    try {
      const store = new DynamoStateStore(stores.ddb, stores.table, sourceKey(appKey));
      const state = await store.load();
      if (newest !== undefined) refuseAboveNewest(to, newest, state, io);
      for (const line of describeChange(state, cursor)) io.out(line);
      if (flags.yes !== true && !(await confirm(io))) {
        io.out('nothing changed');
        return 1;
      }
      try {
        await store.save({ cursor, seen: [], cursorAt: new Date().toISOString() }, state.version);
      } catch (error) {
        if (error instanceof StateConflictError)
          throw new OperatorError('a poll wrote the state while this ran; nothing was changed: run reset-cursor again', {
            cause: error,
          });
        throw error;
      }
      io.out(`cursor set to ${cursor} on ${target.description}`);
      return 0;
    } finally {
      await stores.close();
    }
  },
});

/** The newest lead at the gateway, or why it could not be asked. */
type Newest = { id: LeadId | undefined } | { failure: unknown };

async function askNewest(target: Target): Promise<Newest> {
  try {
    return { id: await newestLeadId(await target.top()) };
  } catch (failure) {
    return { failure };
  }
}

/**
 * A typo in ID (an extra digit) would put the cursor past leads that do not exist yet, and every
 * lead up to it would never be forwarded. The gateway says which lead is newest. If it could not
 * be asked (a stopped demo, no network), only a move back is safe, since it re-reads leads the
 * ledger already knows: an ID above the current cursor (or with none yet) is refused.
 */
function refuseAboveNewest(id: LeadId, newest: Newest, state: SourceState, io: Io): void {
  if ('failure' in newest) {
    if (state.cursor !== undefined && compareIds(id, state.cursor) <= 0) {
      io.out(
        `note: could not ask the gateway for the newest lead (${messageOf(newest.failure)}); ${id} is not above the cursor, so it only re-reads leads`,
      );
      return;
    }
    throw new OperatorError(
      `could not ask the gateway for the newest lead (${messageOf(newest.failure)}), so ${id} cannot be checked against it, and above the cursor (${state.cursor ?? 'none yet'}) an unchecked id could skip leads for good; nothing was changed. Run it again when the gateway answers`,
      { cause: newest.failure },
    );
  }
  if (newest.id === undefined || compareIds(id, newest.id) > 0) {
    throw new OperatorError(
      `${id} is above the newest lead (${newest.id ?? 'there is none yet'}): every lead up to it would never be forwarded; nothing was changed. Use an id at or below the newest, or --to latest`,
    );
  }
}

/** What the reset will do, in the operator's terms. */
export function describeChange(state: SourceState, cursor: LeadId): string[] {
  const lines = [`cursor: ${state.cursor ?? '(none)'} -> ${cursor}`];
  if (state.scan !== undefined)
    lines.push(`the scan in progress (newest ${state.scan.top}) is dropped; the next poll starts a new one`);
  if (state.cursor === undefined)
    lines.push(
      `there was no cursor yet (the first poll would start from startFrom): from now on only leads above ${cursor} are forwarded, never those at or below it`,
    );
  else if (compareIds(cursor, state.cursor) < 0)
    lines.push(`the next poll enqueues every lead above ${cursor}; webhooks that already accepted one are not sent it again`);
  else if (compareIds(cursor, state.cursor) > 0)
    lines.push(`leads ${state.cursor} < id <= ${cursor} that were not enqueued yet will never be forwarded`);
  return lines;
}

async function confirm(io: Io): Promise<boolean> {
  const answer = await io.ask('reset the cursor? [y/N] ');
  return /^y(es)?$/i.test(answer.trim());
}
