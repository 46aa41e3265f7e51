import { createDeliver } from '../../forwarder/deliver';
import type { AttemptResult } from '../../forwarder/ports';
import type { Endpoint } from '../../shared/domain/settings';
import { createDispatcher } from '../../shared/webhook/sender';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { parseFlags, TARGET_FLAGS, TARGET_HELP } from '../flags';
import { resolveTarget } from '../targets/resolve-target';
import { testDelivery } from '../test-lead';

const HELP = `Usage: lead-forwarder send-test-lead [--endpoint NAME] [--state-dir DIR | --stack NAME [--region R]] [--config FILE]

Sends one synthetic lead, marked "test": true (webhook-id test_<id>), to the webhooks in their
configured format and signed with their secrets, exactly as the forwarder would, and prints what
each answered. Nothing is queued or recorded in the ledger.

  --endpoint NAME   only this webhook (default: every one)

Exit 0 when every webhook accepted it (2xx), 1 otherwise.

${TARGET_HELP}`;

export const sendTestLeadCommand: Command = {
  name: 'send-test-lead',
  summary: 'send one synthetic lead ("test": true) to the webhooks and show their answers',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('send-test-lead', args, { ...TARGET_FLAGS, endpoint: { type: 'string' } });
    if (flags.help === true) {
      io.out(HELP);
      return 0;
    }
    const target = await resolveTarget('send-test-lead', flags);
    const endpoints = pick(await target.endpoints(), flags.endpoint);
    const delivery = testDelivery();
    const dispatcher = createDispatcher();
    try {
      const deliver = createDeliver(dispatcher);
      const results = await Promise.all(endpoints.map(async (endpoint) => ({ endpoint, result: await deliver(endpoint, delivery) })));
      io.out(`test lead ${delivery.lead.id} (webhook-id test_${delivery.lead.id}):`);
      for (const { endpoint, result } of results) io.out(`  ${describe(endpoint, result)}`);
      return results.every(({ result }) => result.outcome === 'delivered') ? 0 : 1;
    } finally {
      await dispatcher.close();
    }
  },
};

function pick(endpoints: Endpoint[], name: string | undefined): Endpoint[] {
  if (name === undefined) return endpoints;
  const found = endpoints.filter((endpoint) => endpoint.name === name);
  if (found.length === 0) throw new UsageError(`no webhook named "${name}" (configured: ${endpoints.map((e) => e.name).join(', ')})`, 'send-test-lead');
  return found;
}

/** `crm (standard): accepted, HTTP 200 in 35 ms` / `bot (wecom): refused, … — a real lead would be parked`. */
function describe(endpoint: Endpoint, result: AttemptResult): string {
  const head = `${endpoint.name} (${endpoint.format}${endpoint.secrets.length === 0 && endpoint.format === 'standard' ? ', unsigned' : ''})`;
  // The test lead is synthetic, so the receiver's own words can be shown: they say what to fix.
  const timing = `${result.status === undefined ? '' : `HTTP ${result.status} `}in ${result.latencyMs} ms${result.response === undefined ? '' : `, answered "${result.response}"`}`;
  switch (result.outcome) {
    case 'delivered':
      return `${head}: accepted, ${timing}`;
    case 'retry':
      return `${head}: failed, ${timing}: ${result.reason} (a real lead would be retried)`;
    case 'rejected':
      return `${head}: refused, ${timing}: ${result.reason} (a real lead would be parked in the dead-letter queue)`;
    case 'gone':
      return `${head}: gone (410), ${timing}: ${result.reason} (the forwarder would stop sending to it)`;
  }
}
