import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { ForwardDeps } from '../../../functions/forwarder/ports';
import { forwardBatch, type RecordResult } from '../../../functions/forwarder/forward';
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
import { drain, receive } from '../../support/forwarder-loop';
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

const deps = (list: Endpoint[], overrides: Partial<ForwardDeps> = {}): ForwardDeps =>
  connectorForwarderDeps(aws, dispatcher, list, overrides);
const MOBILE = connectorLeadMobile;
const leads = connectorLeads;
const enqueue = (list: Lead[]): Promise<unknown> => enqueueLeads(aws, list);

/** One batch as Lambda's event source runs it: received, forwarded, and what is settled deleted. */
async function forwardOnce(forwardDeps: ForwardDeps): Promise<RecordResult[]> {
  const records = await receive(aws.sqs, aws.queues.queueUrl, 1);
  if (records.length === 0) return [];
  const batch = await forwardBatch(forwardDeps, records);
  const done = records.filter((r) => !batch.failures.includes(r.messageId));
  if (done.length > 0)
    await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: aws.queues.queueUrl,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  return batch.records;
}

/** An option property whose options, listed in HubSpot's refusal, make the answer longer than the 4 KB the forwarder reads. */
const MANY_OPTIONS: HubSpotProperty = {
  name: 'alimama_source',
  type: 'enumeration',
  fieldType: 'select',
  options: Array.from({ length: 150 }, (_, i) => `source_${i}`),
};

describe('hubspot connector', () => {
  it('210 leads become exactly one contact each with the mapped values; a 429, a 503, a 423 and a 477 on the way are retried, not parked', async () => {
    hubspot.queueFault(
      { kind: 'rate-limit' },
      { kind: 'server-error', status: 503 },
      { kind: 'locked' },
      { kind: 'migration', retryAfterSeconds: 1 },
    );
    const all = leads(210);
    await enqueue(all);
    const results = await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl, { maxMs: 60_000 });
    const held = hubspot.records();
    expect(held).toHaveLength(210);
    for (const [i, lead] of all.entries()) {
      const record = hubspot.find('alimama_lead_id', lead.id)!;
      expect(record.properties).toMatchObject({ firstname: `**${i}`, mobilephone: MOBILE(i), address: 'xx省xx市xx县' });
      expect(record.writes).toBe(1);
    }
    // HubSpot's log: each fault was answered as queued, and the lead it met was then written by
    // exactly one later call.
    const faulted = hubspot.requests.filter((r) => r.fault !== undefined);
    expect(faulted.map((r) => [r.fault, r.status, r.category])).toEqual([
      ['rate-limit', 429, 'TEN_SECONDLY_ROLLING'],
      ['server-error', 503, 'INTERNAL_ERROR'],
      ['locked', 423, 'LOCKED'],
      ['migration', 477, 'MIGRATION_IN_PROGRESS'],
    ]);
    for (const fault of faulted) {
      expect(fault.inputIds).toHaveLength(1);
      const later = hubspot.requests.filter((r) => r.seq > fault.seq && r.inputIds?.[0] === fault.inputIds![0]);
      expect(later.map((r) => r.status)).toEqual([200]);
    }
    expect(hubspot.requests.filter((r) => r.status !== 200)).toHaveLength(4);
    // What the forwarder did with each: a retry for later, with HubSpot's status in the reason.
    const retried = results.filter((r) => r.kind === 'retry').flatMap((r) => r.endpoints.map((e) => e.reason ?? ''));
    expect(retried).toHaveLength(4);
    for (const said of [
      'HubSpot 429 TEN_SECONDLY_ROLLING',
      'HubSpot 503',
      'HubSpot 423 locked',
      'HubSpot 477 migration in progress',
    ])
      expect(retried.filter((reason) => reason.startsWith(said))).toHaveLength(1);
    expect(results.every((r) => r.kind === 'retry' || r.kind === 'done')).toBe(true);
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

  it('a token rotated mid-run: later leads are retried with reason class auth, none parked and taking none of the faults queued then; with the new token in the endpoint the faults are answered and each lead is delivered once, and no token endpoint is called', async () => {
    const list = leads(30);
    await enqueue(list);
    const configured = endpoints();
    const first = await forwardOnce(deps(configured));
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((r) => r.kind === 'done')).toBe(true);

    // Rotated in HubSpot's settings: the old token expires at once. Faults queued now are not
    // taken by the calls refused for the old token: they wait for the calls made with the new one.
    const rotated = hubspot.rotateToken();
    hubspot.queueFault({ kind: 'rate-limit' }, { kind: 'server-error', status: 503 });
    const waiting = new Set(list.map((lead) => lead.id).filter((id) => !first.some((r) => r.leadId === id)));
    const refused: RecordResult[] = [];
    // Each lead is tried at least once with the old token; a short backoff brings none back before the others were tried.
    const until = Date.now() + 15_000;
    while ([...waiting].some((id) => !refused.some((r) => r.leadId === id)) && Date.now() < until)
      refused.push(...(await forwardOnce(deps(configured, { backoffSeconds: () => 1 }))));
    expect(new Set(refused.map((r) => r.leadId))).toEqual(waiting);
    for (const result of refused) {
      expect(result.kind).toBe('retry');
      expect(result.endpoints).toEqual([
        expect.objectContaining({ endpoint: 'hubspot', state: 'retry', status: 401, reasonClass: 'auth' }),
      ]);
      expect(result.endpoints[0]!.reason).toMatch(/EXPIRED_AUTHENTICATION.*check the private app's token/);
    }
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);

    // The operator puts the new token in the endpoint's settings; the leads still on the queue come back.
    const later = await drain(deps(endpoints({ token: rotated })), aws.sqs, aws.queues.queueUrl);
    expect(later.every((r) => r.kind === 'done' || r.kind === 'retry')).toBe(true);
    expect(new Set(later.filter((r) => r.kind === 'done').map((r) => r.leadId))).toEqual(waiting);
    expect(later.filter((r) => r.kind === 'done')).toHaveLength(waiting.size);
    // The two faults were answered to calls with the new token, after every refused call.
    const expired = hubspot.requests.filter((r) => r.auth === 'expired');
    expect(expired.every((r) => r.status === 401 && r.fault === undefined)).toBe(true);
    const faulted = hubspot.requests.filter((r) => r.fault !== undefined);
    expect(faulted.map((r) => [r.auth, r.status, r.fault])).toEqual([
      ['ok', 429, 'rate-limit'],
      ['ok', 503, 'server-error'],
    ]);
    expect(faulted[0]!.seq).toBeGreaterThan(expired[expired.length - 1]!.seq);
    expect(
      later
        .filter((r) => r.kind === 'retry')
        .map((r) => String(r.endpoints[0]!.status))
        .sort(),
    ).toEqual(['429', '503']);
    expect(hubspot.records()).toHaveLength(30);
    for (const lead of list) expect(hubspot.find('alimama_lead_id', lead.id)!.writes).toBe(1);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
    // A private-app token is static: every call was an upsert, none went to a token endpoint.
    expect(hubspot.requests.every((r) => r.path === '/crm/v3/objects/contacts/batch/upsert')).toBe(true);
    expect(hubspot.tokenChecks).toBe(0);
    expect(hubspot.requests.filter((r) => r.auth === 'expired').length).toBeGreaterThanOrEqual(waiting.size);
  });

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
