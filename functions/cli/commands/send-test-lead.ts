import { createDeliver } from '../../forwarder/deliver';
import type { AttemptResult } from '../../forwarder/ports';
import type { Endpoint } from '../../shared/domain/settings';
import type { Delivery } from '../../shared/webhook/delivery';
import { prepareDelivery } from '../../shared/webhook/prepare';
import { createDispatcher } from '../../shared/webhook/sender';
import { defineTargetCommand, type Command } from '../command';
import { UsageError } from '../errors';
import { TARGET_HELP } from '../flags';
import { testDelivery } from '../test-lead';

const HELP = `Usage: lead-forwarder send-test-lead [--endpoint NAME] [--state-dir DIR | --stack NAME [--region R]] [--config FILE]

Sends one synthetic lead, marked "test": true (webhook-id test_<id>), to the webhooks in their
configured format and signed with their secrets, exactly as the forwarder would, and prints what
each answered. Nothing is queued or recorded in the ledger.

  --endpoint NAME   only this webhook (default: every one)

Exit 0 when every webhook accepted it (2xx), 1 otherwise.

${TARGET_HELP}`;

export const sendTestLeadCommand: Command = defineTargetCommand({
  name: 'send-test-lead',
  summary: 'send one synthetic lead ("test": true) to the webhooks and show their answers',
  help: HELP,
  flags: { endpoint: { type: 'string' } },
  async run(flags, io, resolveTarget) {
    const target = await resolveTarget();
    const endpoints = pick(await target.endpoints(), flags.endpoint);
    const delivery = testDelivery();
    const dispatcher = createDispatcher();
    try {
      const deliver = createDeliver(dispatcher);
      const results = await Promise.all(
        endpoints.map(async (endpoint) => ({ endpoint, line: await attempt(endpoint, delivery, deliver) })),
      );
      io.out(`test lead ${delivery.lead.id} (webhook-id test_${delivery.lead.id}):`);
      for (const { endpoint, line } of results)
        io.out(`  ${typeof line === 'string' ? `${endpoint.name} (${endpoint.format}): ${line}` : describe(endpoint, line)}`);
      return results.every(({ line }) => typeof line !== 'string' && line.outcome === 'delivered') ? 0 : 1;
    } finally {
      await dispatcher.close();
    }
  },
});

/**
 * The endpoint's filter and body first, as the forwarder evaluates them (DESIGN §7): what they
 * say about the test lead when nothing is sent, the answer otherwise.
 */
async function attempt(
  endpoint: Endpoint,
  delivery: Delivery,
  deliver: (endpoint: Endpoint, delivery: Delivery) => Promise<AttemptResult>,
): Promise<AttemptResult | string> {
  const prepared = await prepareDelivery(endpoint, delivery);
  if (prepared.kind === 'skip')
    return 'not sent: its filter does not yield true for the test lead (a real lead like it would be skipped)';
  // A synthetic lead: jsonata's own words may be shown.
  if (prepared.kind === 'park')
    return `not sent: ${prepared.reason}${prepared.error.detail === undefined ? '' : ` — JSONata: ${prepared.error.detail}`} (a real lead would be parked in the dead-letter queue)`;
  return deliver(endpoint, prepared.delivery);
}

function pick(endpoints: Endpoint[], name: string | undefined): Endpoint[] {
  if (name === undefined) return endpoints;
  const found = endpoints.filter((endpoint) => endpoint.name === name);
  if (found.length === 0)
    throw new UsageError(`no webhook named "${name}" (configured: ${endpoints.map((e) => e.name).join(', ')})`, 'send-test-lead');
  return found;
}

/** `crm (standard): accepted, HTTP 200 in 35 ms` / `bot (wecom): refused, … — a real lead would be parked`. */
function describe(endpoint: Endpoint, result: AttemptResult): string {
  const head = `${endpoint.name} (${endpoint.format}${endpoint.secrets.length === 0 && endpoint.format === 'standard' ? ', unsigned' : ''})`;
  // The test lead is synthetic, so the receiver's own words can be shown: they say what to fix.
  const timing = `${result.status === undefined ? '' : `HTTP ${result.status} `}in ${result.latencyMs} ms${result.response === undefined ? '' : `, answered "${result.response}"`}`;
  switch (result.outcome) {
    case 'delivered':
      // A connector's record id: where to find the test record in the CRM (and delete it).
      return `${head}: accepted${result.recordId === undefined ? '' : `, record ${result.recordId}`}, ${timing}`;
    case 'retry':
      return `${head}: failed, ${timing}: ${result.reason} (a real lead would be retried)`;
    case 'rejected':
      return `${head}: refused, ${timing}: ${result.reason} (a real lead would be parked in the dead-letter queue)`;
    case 'gone':
      return `${head}: gone (410), ${timing}: ${result.reason} (the forwarder would stop sending to it)`;
  }
}
