import { GetQueueAttributesCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { defineTargetCommand, type Command } from '../command';
import { moveMessages, parkedFor } from '../dlq-move';
import { UsageError } from '../errors';
import { TARGET_HELP } from '../flags';
import type { Stores, Target } from '../targets/target';

const HELP = `Usage: lead-forwarder replay [--endpoint NAME] [--state-dir DIR | --stack NAME [--region R]] [--config FILE]

Moves leads parked in the dead-letter queue back to the leads queue, body and attributes intact,
so the forwarder tries them again. Fix the cause first (see \`status\` and the parked reason).
Endpoints that already accepted a lead are skipped (the ledger); endpoints that refused it
are tried again.

  --endpoint NAME   only the leads parked for this webhook (and those SQS moved to the
                    dead-letter queue itself after failed invocations, which name no webhook);
                    without it, all of them. On a stack without --endpoint, SQS moves them
                    itself (StartMessageMoveTask).

${TARGET_HELP}`;

export const replayCommand: Command = defineTargetCommand({
  name: 'replay',
  summary: 'move parked leads from the dead-letter queue back to the leads queue',
  help: HELP,
  flags: { endpoint: { type: 'string' } },
  async run(flags, io, resolveTarget) {
    const target = await resolveTarget();
    if (flags.endpoint !== undefined) await checkEndpoint(target, flags.endpoint);
    const stores = await target.open();
    try {
      if (target.kind === 'aws' && flags.endpoint === undefined) return await moveTask(stores, target, io.out);
      const { moved, kept } = await moveMessages(
        stores.sqs,
        stores.deadLetters.url,
        stores.leads.url,
        flags.endpoint === undefined ? () => true : parkedFor(flags.endpoint),
      );
      if (moved === 0 && kept === 0) io.out(`the dead-letter queue of ${target.description} is empty: nothing to replay`);
      else
        io.out(
          `moved ${moved} lead${moved === 1 ? '' : 's'} back to the leads queue${kept > 0 ? ` (${kept} parked for other webhooks stay in the dead-letter queue)` : ''}; ${target.forwarding}`,
        );
      return 0;
    } finally {
      await stores.close();
    }
  },
});

/** An endpoint name that is not configured is probably a typo: say which names exist. */
async function checkEndpoint(target: Target, name: string): Promise<void> {
  let names: string[];
  try {
    // The names are known in more cases than the whole configuration (a stopped demo).
    names = await target.endpointNames();
  } catch {
    return; // the configuration is not at hand: the filter still works on the parked messages
  }
  if (!names.includes(name)) throw new UsageError(`no webhook named "${name}" (configured: ${names.join(', ')})`, 'replay');
}

async function moveTask(stores: Stores, target: Target, out: (line: string) => void): Promise<number> {
  const { Attributes = {} } = await stores.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: stores.deadLetters.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const count = Number(Attributes.ApproximateNumberOfMessages ?? 0);
  if (count === 0) {
    out(`the dead-letter queue of ${target.description} is empty: nothing to replay`);
    return 0;
  }
  const { TaskHandle } = await stores.sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: stores.deadLetters.arn, DestinationArn: stores.leads.arn }),
  );
  out(
    `moving about ${count} lead${count === 1 ? '' : 's'} back to the leads queue (SQS move task ${TaskHandle ?? '?'}); ${target.forwarding}; \`lead-forwarder status\` shows the dead-letter queue emptying`,
  );
  return 0;
}
