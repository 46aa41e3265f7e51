import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { ForwardDeps } from '../../../functions/forwarder/ports';
import {
  ALIMAMA_LEAD_ID_PROPERTY,
  startSimulatedHubSpot,
  type HubSpotProperty,
  type SimulatedHubSpot,
} from '../../../functions/local/simulators/hubspot';
import { ledgerKey } from '../../../functions/shared/aws/ledger';
import { parseForwarderSettings } from '../../../functions/shared/config/parse-settings';
import type { Lead } from '../../../functions/shared/domain/lead';
import type { Endpoint } from '../../../functions/shared/domain/settings';
import { createDispatcher } from '../../../functions/shared/webhook/sender';
import { connectorForwarderDeps, connectorLeadMobile, connectorLeads, enqueueLeads } from '../../support/connector-forwarder';
import { drain } from '../../support/forwarder-loop';
import { localAwsPerTest } from '../../support/local-aws';
import { deadLetters } from '../../support/reliability-forwarder';

/** The `hubspot` connector through the forwarder core, against the HubSpot simulator, dynalite and fauxqs. */

const aws = localAwsPerTest({ maxReceiveCount: 10 });
const dispatcher = createDispatcher();
let hubspot: SimulatedHubSpot;
beforeEach(async () => {
  hubspot = await startSimulatedHubSpot();
});
afterEach(() => hubspot.close());
afterAll(() => dispatcher.close());

function endpoints(extra: Record<string, unknown> = {}): Endpoint[] {
  return parseForwarderSettings({
    webhooks: [{ name: 'hubspot', format: 'hubspot', baseUrl: hubspot.url, token: hubspot.token, ...extra }],
  }).webhooks;
}

const deps = (list: Endpoint[]): ForwardDeps => connectorForwarderDeps(aws, dispatcher, list);
const MOBILE = connectorLeadMobile;
const leads = connectorLeads;
const enqueue = (list: Lead[]): Promise<unknown> => enqueueLeads(aws, list);

/** An option property whose options, listed in HubSpot's refusal, make the answer longer than the 4 KB the forwarder reads. */
const MANY_OPTIONS: HubSpotProperty = {
  name: 'alimama_source',
  type: 'enumeration',
  fieldType: 'select',
  options: Array.from({ length: 150 }, (_, i) => `source_${i}`),
};

describe('hubspot connector', () => {
  it('210 leads become exactly one contact each with the mapped values; a 429 and a 503 on the way are retried', async () => {
    hubspot.queueFault({ kind: 'rate-limit' }, { kind: 'server-error', status: 503 });
    const all = leads(210);
    await enqueue(all);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl, { maxMs: 60_000 });
    const held = hubspot.records();
    expect(held).toHaveLength(210);
    for (const [i, lead] of all.entries()) {
      const record = hubspot.find('alimama_lead_id', lead.id)!;
      expect(record.properties).toMatchObject({ firstname: `**${i}`, mobilephone: MOBILE(i), address: 'xx省xx市xx县' });
      expect(record.writes).toBe(1);
    }
    expect(hubspot.requests.filter((r) => r.status === 429 || r.status === 503)).toHaveLength(2);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
  });

  it("a rejected field (a property the portal lacks) is parked in the DLQ with HubSpot's code and the property's name", async () => {
    await enqueue(leads(2));
    await drain(
      deps(endpoints({ fields: "{'firstname': data.name, 'alimama_page': data.page_name}" })),
      aws.sqs,
      aws.queues.queueUrl,
    );
    expect(hubspot.records()).toEqual([]);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked).toHaveLength(2);
    for (const message of parked) {
      expect(message.reason).toContain('Property values were not valid: PROPERTY_DOESNT_EXIST (alimama_page)');
    }
  });

  it.each([
    ['hs_lead_status (a default contact property with options)', 'hs_lead_status', undefined],
    ['an option property with so many options that the answer is cut at 4 KB', MANY_OPTIONS.name, MANY_OPTIONS],
  ])(
    'a lead name mapped into %s is parked with INVALID_OPTION and the property name, and neither name nor mobile reaches a reason',
    async (_what, property, custom) => {
      if (custom !== undefined) {
        await hubspot.close();
        hubspot = await startSimulatedHubSpot({ customProperties: [ALIMAMA_LEAD_ID_PROPERTY, custom] });
      }
      const list = leads(2);
      await enqueue(list);
      // HubSpot quotes the refused value in its message: here the lead's name and mobile.
      const fields = `{'firstname': data.name, 'mobilephone': data.mobile, '${property}': data.name & ' ' & data.mobile}`;
      const results = await drain(deps(endpoints({ fields })), aws.sqs, aws.queues.queueUrl);
      expect(hubspot.records()).toEqual([]);
      expect(hubspot.requests.map((r) => [r.status, r.category])).toEqual([
        [400, 'INVALID_OPTION'],
        [400, 'INVALID_OPTION'],
      ]);
      expect(results.map((r) => r.kind)).toEqual(['parked', 'parked']);
      const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
      expect(parked).toHaveLength(2);
      for (const message of parked) expect(message.reason).toContain(`INVALID_OPTION (${property})`);
      // The DLQ reasons, and what the forwarder reports (its "delivery rejected" and "lead parked" log lines).
      const said = JSON.stringify([parked.map((message) => message.reason), results]);
      for (const lead of list) {
        expect(said).not.toContain(lead.name);
        expect(said).not.toContain(lead.mobile);
      }
    },
  );

  it('a lost ledger write (simulated by deleting the ledger item after the vendor accepted) makes no second contact when the lead comes back', async () => {
    const [lead] = leads(1);
    await enqueue([lead!]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    expect(hubspot.records()).toHaveLength(1);
    await aws.dynamo.client.send(
      new DeleteItemCommand({ TableName: aws.table, Key: { pk: { S: ledgerKey(lead!.id, 'hubspot') } } }),
    );
    await enqueue([lead!]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    expect(hubspot.records()).toHaveLength(1);
    expect(hubspot.find('alimama_lead_id', lead!.id)!.writes).toBe(2);
  });

  it('a ciphertext mobile stays out of mobilephone, and the contact is still made', async () => {
    await enqueue([{ id: '9', name: '**九', mobile: 'Pci/6KXf+q0aBc==', mobile_encrypted: true }]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    expect(hubspot.find('alimama_lead_id', '9')!.properties).not.toHaveProperty('mobilephone');
  });
});
