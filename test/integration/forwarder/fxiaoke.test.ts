import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { ForwardDeps } from '../../../functions/forwarder/ports';
import { LEAD_ID_FIELD, startSimulatedFxiaoke, type SimulatedFxiaoke } from '../../../functions/local/simulators/fxiaoke';
import { ledgerKey } from '../../../functions/shared/aws/ledger';
import { parseForwarderSettings } from '../../../functions/shared/config/parse-settings';
import type { Lead } from '../../../functions/shared/domain/lead';
import type { Endpoint } from '../../../functions/shared/domain/settings';
import { createDispatcher } from '../../../functions/shared/webhook/sender';
import { connectorForwarderDeps, enqueueLeads } from '../../support/connector-forwarder';
import { drain } from '../../support/forwarder-loop';
import { localAwsPerTest } from '../../support/local-aws';
import { deadLetters } from '../../support/reliability-forwarder';

/** The fxiaoke connector through the forwarder core, against the simulated 纷享销客 over HTTP, dynalite and fauxqs. */

const aws = localAwsPerTest({ maxReceiveCount: 10 });
const dispatcher = createDispatcher();
let crm: SimulatedFxiaoke;
afterEach(async () => {
  await crm.close();
});
afterAll(() => dispatcher.close());

const NAME = 'fxiaoke';

/** The endpoint as an operator writes it, parsed by the real config parser. */
function endpoint(extra: Record<string, unknown> = {}): Endpoint[] {
  return parseForwarderSettings({
    webhooks: [
      {
        name: NAME,
        format: 'fxiaoke',
        baseUrl: crm.url,
        appId: crm.appId,
        appSecret: crm.appSecret,
        permanentCode: crm.permanentCode,
        currentOpenUserId: crm.openUserIds[0],
        ...extra,
      },
    ],
  }).webhooks;
}

const deps = (list: Endpoint[]): ForwardDeps => connectorForwarderDeps(aws, dispatcher, list);

/** Plain mobiles on even leads, a ciphertext (still encrypted) on odd ones. */
function leads(n: number, first = 9007199254740993000n): Lead[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(first + BigInt(i)),
    name: `张${i}`,
    page_name: '新半价2',
    location: '浙江省杭州市西湖区',
    ...(i % 2 === 0
      ? { mobile: `1380013${String(i).padStart(4, '0')}`, mobile_encrypted: false }
      : { mobile: 'q83vEjRWeJA+c2ltdWxhdGVk', mobile_encrypted: true }),
    extend_list: [{ code: 'age', label: '年龄', value: '25-30岁' }],
  }));
}

const enqueue = (list: Lead[]): Promise<unknown> => enqueueLeads(aws, list);

/** Nothing secret or personal in what the forwarder reported (what its logs are made of) or what the CRM logged. */
function expectNothingSecret(reported: unknown, list: Lead[]): void {
  const text = JSON.stringify([reported, crm.requests]);
  const personal = list.flatMap((lead) => [lead.name ?? '', lead.mobile ?? '']).filter((v) => v.length > 1);
  for (const value of [crm.appSecret, crm.permanentCode, ...personal]) expect(text).not.toContain(value);
}

describe('fxiaoke connector (DESIGN §7)', () => {
  it('210 leads become exactly one LeadsObj each with the mapped values; a token that lapses midway is renewed once per lapse, not per lead', async () => {
    // Each token lapses once 100 records were made with it, as its 7200 s running out midway
    // through a run would: the 210 leads need three tokens, whatever the machine's speed.
    crm = await startSimulatedFxiaoke({ tokenLifetimeRecords: 100 });
    const all = leads(210);
    await enqueue(all);
    const results = await drain(deps(endpoint()), aws.sqs, aws.queues.queueUrl, { maxMs: 60_000 });

    expect(crm.records).toHaveLength(210);
    for (const lead of all) {
      const held = crm.recordsWhere(LEAD_ID_FIELD, lead.id);
      expect(held).toHaveLength(1);
      expect(held[0]!.fields.name).toBe(lead.name);
      expect(held[0]!.fields.mobile).toBe(lead.mobile_encrypted === true ? undefined : lead.mobile);
      expect(held[0]!.fields.remark).toContain('落地页: 新半价2');
      expect(held[0]!.triggerApprovalFlow).toBe(false);
    }
    // The lapse came mid-run: the first call refused with 20016 followed the 100th record, and
    // records were made after it.
    const refused = crm.requests.filter((r) => r.outcome === 20016);
    expect(refused.length).toBeGreaterThan(0);
    const created = crm.requests.filter((r) => r.endpoint === 'create' && r.outcome === 0);
    expect(created.filter((r) => r.seq < refused[0]!.seq)).toHaveLength(100);
    // One token call per token the run needed (three), however many deliveries in flight heard
    // 20016 at once: the connector fetches one at a time and the others wait for it.
    const tokenCalls = crm.requests.filter((r) => r.endpoint === 'token');
    expect(tokenCalls.map((r) => r.outcome)).toEqual([0, 0, 0]);
    expect(crm.tokensIssued).toBe(3);
    expect(results.every((r) => r.kind === 'done')).toBe(true);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
    expectNothingSecret(results, all);
  });

  it('a rate-limit answer, a 502, system busy and a service timeout are retried later; each lead lands once', async () => {
    crm = await startSimulatedFxiaoke();
    crm.queueFault({ kind: 'rate-limit' }, { kind: 'http-error' }, { kind: 'system-busy' }, { kind: 'service-error' });
    crm.queueFault({ kind: 'rate-limit', code: 14001 });
    const list = leads(4);
    await enqueue(list);
    const results = await drain(deps(endpoint()), aws.sqs, aws.queues.queueUrl);
    for (const lead of list) expect(crm.recordsWhere(LEAD_ID_FIELD, lead.id)).toHaveLength(1);
    const reasons = results.filter((r) => r.kind === 'retry').flatMap((r) => r.endpoints.map((e) => e.reason ?? ''));
    expect(reasons.join('\n')).toContain('errorCode 30004');
    expect(reasons.join('\n')).toContain('HTTP 502');
    expect(reasons.join('\n')).toContain('errorCode -1');
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
  });

  it("a rejected field is parked in the DLQ with the vendor's errorCode and message, and no record", async () => {
    crm = await startSimulatedFxiaoke();
    await enqueue(leads(2));
    const results = await drain(
      deps(endpoint({ fields: "{'name': data.name, 'wechat__c': data.page_name}" })),
      aws.sqs,
      aws.queues.queueUrl,
    );
    expect(crm.records).toEqual([]);
    expect(results.map((r) => r.kind)).toEqual(['parked', 'parked']);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked).toHaveLength(2);
    for (const message of parked) {
      expect(message.endpoints).toBe(NAME);
      expect(message.reason).toContain('errorCode 32000');
      expect(message.reason).toContain('字段[wechat__c]不存在');
    }
  });

  it('idempotency: the CRM accepts and the connection drops before the answer (an unrecorded success); the retry finds the record and makes no second one', async () => {
    crm = await startSimulatedFxiaoke();
    crm.queueFault({ kind: 'accept-then-drop' });
    const list = leads(1);
    await enqueue(list);
    const results = await drain(deps(endpoint()), aws.sqs, aws.queues.queueUrl);
    expect(crm.recordsWhere(LEAD_ID_FIELD, list[0]!.id)).toHaveLength(1);
    expect(crm.requests.filter((r) => r.endpoint === 'create')).toHaveLength(1);
    expect(results.at(-1)).toMatchObject({ kind: 'done' });
  });

  it('idempotency: the ledger write lost after delivery (simulated by deleting the ledger item), the lead redelivered, makes no second record', async () => {
    crm = await startSimulatedFxiaoke();
    const list = leads(3);
    await enqueue(list);
    await drain(deps(endpoint()), aws.sqs, aws.queues.queueUrl);
    expect(crm.records).toHaveLength(3);
    for (const lead of list)
      await aws.dynamo.client.send(new DeleteItemCommand({ TableName: aws.table, Key: { pk: { S: ledgerKey(lead.id, NAME) } } }));
    await enqueue(list);
    const again = await drain(deps(endpoint()), aws.sqs, aws.queues.queueUrl);
    expect(crm.records).toHaveLength(3);
    expect(crm.requests.filter((r) => r.endpoint === 'create')).toHaveLength(3);
    expect(again.every((r) => r.kind === 'done')).toBe(true);
    expectNothingSecret(again, list);
  });
});
