import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { ForwardDeps } from '../../../functions/forwarder/ports';
import { startSimulatedSalesforce, type SimulatedSalesforce } from '../../../functions/local/simulators/salesforce';
import { ledgerKey } from '../../../functions/shared/aws/ledger';
import { parseForwarderSettings } from '../../../functions/shared/config/parse-settings';
import type { Lead } from '../../../functions/shared/domain/lead';
import type { Endpoint } from '../../../functions/shared/domain/settings';
import { createDispatcher } from '../../../functions/shared/webhook/sender';
import { connectorForwarderDeps, connectorLeadMobile, connectorLeads, enqueueLeads } from '../../support/connector-forwarder';
import { drain } from '../../support/forwarder-loop';
import { localAwsPerTest } from '../../support/local-aws';
import { deadLetters } from '../../support/reliability-forwarder';

/** The `salesforce` connector through the forwarder core, against the Salesforce simulator, dynalite and fauxqs. */

const aws = localAwsPerTest({ maxReceiveCount: 10 });
const dispatcher = createDispatcher();
let org: SimulatedSalesforce;
beforeEach(async () => {
  org = await startSimulatedSalesforce();
});
afterEach(() => org.close());
afterAll(() => dispatcher.close());

function endpoints(extra: Record<string, unknown> = {}): Endpoint[] {
  return parseForwarderSettings({
    webhooks: [
      {
        name: 'salesforce',
        format: 'salesforce',
        instanceUrl: org.url,
        clientId: org.clientId,
        clientSecret: org.clientSecret,
        externalIdField: 'Alimama_Lead_Id__c',
        ...extra,
      },
    ],
  }).webhooks;
}

const deps = (list: Endpoint[]): ForwardDeps => connectorForwarderDeps(aws, dispatcher, list);
const MOBILE = connectorLeadMobile;
const leads = connectorLeads;
const enqueue = (list: Lead[]): Promise<unknown> => enqueueLeads(aws, list);

const byLead = (id: string) => org.recordByExternalId('Alimama_Lead_Id__c', id);

describe('salesforce connector', () => {
  it('210 leads become exactly one Lead each with the mapped values; a session ended midway is renewed with one new token; a request limit, a 503 and a 500 are retried', async () => {
    const all = leads(210);
    await enqueue(all.slice(0, 100));
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl, { maxMs: 60_000 });
    org.expireAllTokens();
    org.queueFault({ kind: 'request-limit' }, { kind: 'unavailable' }, { kind: 'server-error' });
    await enqueue(all.slice(100));
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl, { maxMs: 60_000 });
    expect(org.records).toHaveLength(210);
    for (const [i, lead] of all.entries()) {
      const record = byLead(lead.id)!;
      expect(record.fields).toMatchObject({
        LastName: `**${i}`,
        Company: '[not provided]',
        MobilePhone: MOBILE(i),
        LeadSource: 'Web',
      });
      expect(record.writes).toBe(1);
    }
    expect(org.tokensIssued).toBe(2);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);

    // The org's log shows what happened after the sessions ended: the calls with the old token
    // were refused (401, taking no fault), the three faults were answered as queued to calls
    // with the new token, and each faulted lead was delivered by one later call.
    const calls = org.requests.filter((r) => r.kind === 'upsert');
    const renewed = org.requests.filter((r) => r.kind === 'token')[1]!.seq;
    const faulted = calls.filter((r) => r.fault !== undefined);
    expect(faulted.map((r) => [r.fault, r.status, r.errorCode])).toEqual([
      ['request-limit', 403, 'REQUEST_LIMIT_EXCEEDED'],
      ['unavailable', 503, undefined],
      ['server-error', 500, 'UNKNOWN_EXCEPTION'],
    ]);
    for (const fault of faulted) {
      expect(fault.seq).toBeGreaterThan(renewed);
      const later = calls.filter((r) => r.path === fault.path && r.seq > fault.seq && r.outcome !== undefined);
      expect(later.map((r) => r.outcome)).toEqual(['created']);
    }
    const refused = calls.filter((r) => r.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.fault === undefined)).toBe(true);
    // Every call that stored something created its Lead: no lead was written twice.
    expect(calls.filter((r) => r.outcome !== undefined).map((r) => r.outcome)).toEqual(Array(210).fill('created'));
  });

  it("a rejected field (one the org's Lead lacks) is parked in the DLQ with Salesforce's errorCode and message", async () => {
    await enqueue(leads(2));
    await drain(
      deps(endpoints({ fields: "{'LastName': data.name, 'Company': 'x', 'Alimama_Page__c': data.page_name}" })),
      aws.sqs,
      aws.queues.queueUrl,
    );
    expect(org.records).toEqual([]);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked).toHaveLength(2);
    for (const message of parked) {
      // The code and Salesforce's own message, which names the field but holds no value the lead sent.
      expect(message.reason).toContain("INVALID_FIELD: No such column 'Alimama_Page__c' on sobject of type Lead");
      expect(message.reason).not.toContain('新半价2');
      expect(message.reason).not.toMatch(/\*\*\d/);
    }
  });

  it('a lost ledger write (simulated by deleting the ledger item after Salesforce accepted) makes no second Lead when the lead comes back', async () => {
    const [lead] = leads(1);
    await enqueue([lead!]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    await aws.dynamo.client.send(
      new DeleteItemCommand({ TableName: aws.table, Key: { pk: { S: ledgerKey(lead!.id, 'salesforce') } } }),
    );
    await enqueue([lead!]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    expect(org.records).toHaveLength(1);
    expect(byLead(lead!.id)!.writes).toBe(2);
  });

  it('an answer lost after the upsert was stored is retried, and the retry updates the same Lead', async () => {
    org.queueFault({ kind: 'accept-then-drop' });
    const [lead] = leads(1, 700_000);
    await enqueue([lead!]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    expect(org.records).toHaveLength(1);
    expect(byLead(lead!.id)!.writes).toBe(2);
  });

  it('a ciphertext mobile stays out of MobilePhone, and the Lead is still made', async () => {
    await enqueue([{ id: '9', name: '**九', mobile: 'Pci/6KXf+q0aBc==', mobile_encrypted: true }]);
    await drain(deps(endpoints()), aws.sqs, aws.queues.queueUrl);
    expect(byLead('9')!.fields).not.toHaveProperty('MobilePhone');
  });

  it('settings are validated: an API version before 46.0 and a field name that is no API name are named', () => {
    expect(() => endpoints({ apiVersion: 'v45.0', externalIdField: 'Lead Id' })).toThrow(
      /externalIdField must be the field's API name[\s\S]*apiVersion must be a REST API version from v46\.0/,
    );
  });
});
