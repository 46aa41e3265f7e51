import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { RecordResult } from '../../../functions/forwarder/forward';
import type { ForwardDeps } from '../../../functions/forwarder/ports';
import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  startSimulatedBitable,
  type SimulatedBitable,
  type SimulatedBitableOptions,
} from '../../../functions/local/simulators/feishu-bitable';
import { ledgerKey } from '../../../functions/shared/aws/ledger';
import { parseForwarderSettings } from '../../../functions/shared/config/parse-settings';
import type { Lead } from '../../../functions/shared/domain/lead';
import type { Endpoint } from '../../../functions/shared/domain/settings';
import { createDispatcher } from '../../../functions/shared/webhook/sender';
import { connectorForwarderDeps, enqueueLeads } from '../../support/connector-forwarder';
import { drain } from '../../support/forwarder-loop';
import { localAwsPerTest } from '../../support/local-aws';
import { deadLetters } from '../../support/reliability-forwarder';

/**
 * The feishu-bitable connector through the forwarder core, against the simulated Feishu over real
 * HTTP, dynalite and fauxqs: one record per lead with the mapped values, tokens renewed, rate
 * limits and 5xx retried, refused fields parked with Feishu's code, and Feishu's own client_token
 * keeping a re-send from making a second record.
 */

const aws = localAwsPerTest({ maxReceiveCount: 10 });
const dispatcher = createDispatcher();
let sim: SimulatedBitable;
afterEach(async () => {
  await sim?.close();
});
afterAll(() => dispatcher.close());

async function start(options: SimulatedBitableOptions = {}): Promise<SimulatedBitable> {
  sim = await startSimulatedBitable(options);
  return sim;
}

/** The endpoint as an operator writes it; `baseUrl` points at the simulator. */
function rawBitable(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'bitable',
    format: 'feishu-bitable',
    baseUrl: sim.url,
    appId: sim.appId,
    appSecret: sim.appSecret,
    appToken: SIMULATED_BITABLE_APP_TOKEN,
    tableId: SIMULATED_BITABLE_TABLE_ID,
    ...extra,
  };
}

/** That endpoint parsed by the real config parser. */
function bitable(extra: Record<string, unknown> = {}): Endpoint[] {
  return parseForwarderSettings({ webhooks: [rawBitable(extra)] }).webhooks;
}

function deps(list: Endpoint[]): ForwardDeps {
  return connectorForwarderDeps(aws, dispatcher, list, {
    backoffSeconds: (_attempt, retryAfter) => (retryAfter === undefined ? 0 : Math.min(retryAfter, 1)),
  });
}

const mobileOf = (i: number): string => `1390000${String(i).padStart(4, '0')}`;

/** Leads beyond 2^53, a third with the mobile still encrypted, some without a location or extras. */
function leads(n: number, from = 0): Lead[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const encrypted = i % 3 === 0;
    return {
      id: String(9007199254740993000n + BigInt(i)),
      name: `客户${i}`,
      mobile: encrypted ? `Pci/6KXf${i}+cipher==` : mobileOf(i),
      mobile_encrypted: encrypted,
      store_name: '测试店铺名',
      page_name: '新半价2',
      lead_time: `2026-11-29T14:${String(i % 60).padStart(2, '0')}:00+08:00`,
      mm_src_cname: '淘积木其他',
      ...(i % 2 === 0 ? { location: 'xx省xx市xx县' } : {}),
      ...(i % 4 === 0 ? { extend_list: [{ code: 'sex', label: '性别', value: '男' }] } : {}),
    };
  });
}

const enqueue = (list: Lead[]): Promise<unknown> => enqueueLeads(aws, list);

/** Lead id → how many records hold it. */
function recordCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of sim.records()) {
    const id = String(record.fields['线索ID']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Nothing the forwarder reports (what its log lines are made of) holds a credential, token, name or mobile. */
function expectNothingPersonal(results: RecordResult[], sent: Lead[]): void {
  const reported = JSON.stringify(results);
  expect(reported).not.toContain(sim.appSecret);
  expect(reported).not.toMatch(/t-[0-9a-f]{40}/);
  for (const lead of sent) {
    expect(reported).not.toContain(lead.name!);
    expect(reported).not.toContain(lead.mobile!);
  }
}

describe('feishu-bitable connector (DESIGN §7)', () => {
  it('210 leads become exactly one record each with the mapped values; a token that lapses midway is renewed, not fetched per lead', async () => {
    await start();
    const sent = leads(210);
    await enqueue(sent);
    // Every token issued so far lapses once a hundred records exist, as at the end of its lifetime.
    let expired = false;
    const lapse = setInterval(() => {
      if (!expired && sim.records().length >= 100) {
        sim.expireTokens();
        expired = true;
      }
    }, 5);
    let results: RecordResult[];
    try {
      results = await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl, { maxMs: 60_000 });
    } finally {
      clearInterval(lapse);
    }
    expect(expired).toBe(true);
    expect([...recordCounts().values()].every((count) => count === 1)).toBe(true);
    expect([...recordCounts().keys()].sort()).toEqual(sent.map((l) => l.id).sort());
    for (const lead of sent) {
      const record = sim.records().find((r) => r.fields['线索ID'] === lead.id)!;
      const i = Number(BigInt(lead.id) - 9007199254740993000n);
      expect(record.fields).toEqual({
        线索ID: lead.id,
        姓名: lead.name,
        ...(lead.mobile_encrypted === true ? {} : { 手机号: lead.mobile }),
        留资时间: Date.parse(lead.lead_time!),
        店铺: '测试店铺名',
        落地页: '新半价2',
        ...(lead.location === undefined ? {} : { 地区: lead.location }),
        来源: '淘积木其他',
        ...(i % 4 === 0 ? { 附加信息: '性别: 男' } : {}),
      });
      // Each record was made with a client_token of its own.
      expect(record.clientToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(sim.records().map((r) => r.clientToken)).size).toBe(210);
    // One token before the lapse, one after (a few deliveries in flight may each ask once).
    expect(sim.tokensIssued).toBe(2);
    expect(sim.tokenRequests).toBeLessThanOrEqual(12);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
    expectNothingPersonal(results, sent);
  });

  it('a rate-limit answer (99991400) and a vendor 5xx are retried later, each lead arriving once', async () => {
    await start();
    // A first lead fetches a token, which then lapses: the next call is refused for it (99991663)
    // before any fault is answered, and the faults wait for the calls made with the new token.
    const first = leads(1, 100);
    await enqueue(first);
    await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl);
    sim.expireTokens();
    sim.queueFault(
      { kind: 'rate-limit', resetSeconds: 1 },
      { kind: 'rate-limit', status: 400 },
      { kind: 'server-error', status: 503 },
      { kind: 'write-conflict' },
    );
    const sent = leads(8);
    await enqueue(sent);
    const results = await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl);
    expect([...recordCounts().entries()].sort()).toEqual(
      first
        .concat(sent)
        .map((l) => [l.id, 1])
        .sort(),
    );
    // The simulator's log: the lapsed token was refused and took no fault; each fault was answered
    // as queued to a later call, and the lead it met was then created by one call of its own.
    const calls = sim.requests.filter((r) => r.kind === 'record');
    const refused = calls.filter((r) => r.outcome === 99991663);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.fault === undefined)).toBe(true);
    const faulted = calls.filter((r) => r.fault !== undefined);
    expect(faulted.map((r) => [r.fault, r.status, r.outcome])).toEqual([
      ['rate-limit', 429, 99991400],
      ['rate-limit', 400, 99991400],
      ['server-error', 503, 'fault'],
      ['write-conflict', 200, 1254291],
    ]);
    for (const fault of faulted) {
      expect(fault.seq).toBeGreaterThan(refused[0]!.seq);
      const later = calls.filter((r) => r.clientToken === fault.clientToken && r.seq > fault.seq && r.outcome === 0);
      expect(later.map((r) => r.deduplicated ?? false)).toEqual([false]);
    }
    const retried = results.filter((r) => r.kind === 'retry').flatMap((r) => r.endpoints.map((e) => e.reason ?? ''));
    expect(retried).toHaveLength(4);
    expect(retried.filter((reason) => reason.includes('99991400'))).toHaveLength(2);
    // The reason class an operator sees in the logs and metrics.
    const classes = results.filter((r) => r.kind === 'retry').flatMap((r) => r.endpoints.map((e) => e.reasonClass));
    expect(classes.sort()).toEqual(['rate-limit', 'rate-limit', 'vendor-error', 'vendor-error']);
    expect(retried.some((reason) => reason.includes('503'))).toBe(true);
    expect(retried.some((reason) => reason.includes('1254291'))).toBe(true);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
    expectNothingPersonal(results, sent);
  });

  it('a field the table has no column for is parked in the DLQ with Feishu code 1254045 and its msg; nothing is created', async () => {
    await start();
    const sent = leads(3);
    await enqueue(sent);
    const list = bitable({ fields: "{'线索ID': data.id, '客户名称': data.name}" });
    const results = await drain(deps(list), aws.sqs, aws.queues.queueUrl);
    expect(sim.records()).toEqual([]);
    expect(results.map((r) => r.kind)).toEqual(['parked', 'parked', 'parked']);
    expect(results.flatMap((r) => r.endpoints.map((e) => e.reasonClass))).toEqual([
      'rejected-field',
      'rejected-field',
      'rejected-field',
    ]);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked).toHaveLength(3);
    for (const message of parked) {
      expect(message.endpoints).toBe('bitable');
      expect(message.reason).toContain('1254045');
      expect(message.reason).toContain('FieldNameNotFound');
    }
    expectNothingPersonal(results, sent);
  });

  it('the fields expression overrides the mapping, and a value its column cannot take (an ISO date) is parked with 1254064', async () => {
    await start();
    const sent = leads(2, 1);
    await enqueue(sent);
    const ok = bitable({ fields: "{'线索ID': data.id, '留资时间': $toMillis(data.lead_time), '来源': 'alimama'}" });
    await drain(deps(ok), aws.sqs, aws.queues.queueUrl);
    expect(sim.records().map((r) => r.fields)).toEqual(
      expect.arrayContaining(sent.map((l) => ({ 线索ID: l.id, 留资时间: Date.parse(l.lead_time!), 来源: 'alimama' }))),
    );

    await enqueue(leads(1, 50));
    const bad = parseForwarderSettings({
      webhooks: [rawBitable({ name: 'bitable-iso', fields: "{'线索ID': data.id, '留资时间': data.lead_time}" })],
    }).webhooks;
    await drain(deps(bad), aws.sqs, aws.queues.queueUrl);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked.map((m) => m.reason)).toEqual([expect.stringContaining('1254064')]);
  });

  it('an app without access to the base (91403) is parked, not retried forever', async () => {
    await start({ collaborator: false });
    await enqueue(leads(1));
    const results = await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl);
    expect(results.map((r) => r.kind)).toEqual(['parked']);
    expect(results[0]?.endpoints[0]?.reasonClass).toBe('auth');
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked[0]?.reason).toContain('91403');
  });

  it('wrong app credentials: the token endpoint refuses (10014), the deliveries retry and the secret is never reported', async () => {
    await start();
    await enqueue(leads(2));
    const list = bitable({ appSecret: 'not-the-secret' });
    const results = await drain(deps(list), aws.sqs, aws.queues.queueUrl, { idleMs: 300, maxMs: 2_000 });
    expect(sim.records()).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
    // Retried (until the attempts run out, then parked), each time naming Feishu's code, never the secret.
    expect(results.filter((r) => r.kind === 'retry').length).toBeGreaterThan(1);
    expect(results.every((r) => r.kind === 'retry' || r.kind === 'parked')).toBe(true);
    for (const endpoint of results.flatMap((r) => r.endpoints)) {
      expect(endpoint.reason).toContain('code 10014');
      expect(endpoint.reasonClass).toBe('auth');
    }
    expect(JSON.stringify(results)).not.toContain('not-the-secret');
  });

  it('idempotency, answer lost: Feishu made the record but its answer never arrived; the retry gets the same record back', async () => {
    await start();
    sim.queueFault({ kind: 'accept-then-drop' });
    const sent = leads(1);
    await enqueue(sent);
    const results = await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl);
    expect(results.map((r) => r.kind)).toEqual(['retry', 'done']);
    expect(sim.records()).toHaveLength(1);
    // The record id the forwarder reports is the one Feishu made before the answer was lost.
    expect(results[1]?.endpoints[0]?.recordId).toBe(sim.records()[0]?.recordId);
    expect(sim.requests.filter((r) => r.kind === 'record').map((r) => r.deduplicated ?? false)).toEqual([false, true]);
  });

  it('idempotency, ledger write lost (simulated by deleting the ledger items after Feishu accepted): the leads come back and make no second record', async () => {
    await start();
    const sent = leads(5);
    await enqueue(sent);
    await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl);
    expect(sim.records()).toHaveLength(5);
    for (const lead of sent) {
      await aws.dynamo.client.send(
        new DeleteItemCommand({ TableName: aws.table, Key: { pk: { S: ledgerKey(lead.id, 'bitable') } } }),
      );
    }
    await enqueue(sent);
    const again = await drain(deps(bitable()), aws.sqs, aws.queues.queueUrl);
    expect(again.map((r) => r.kind)).toEqual(sent.map(() => 'done'));
    expect([...recordCounts().entries()].sort()).toEqual(sent.map((l) => [l.id, 1]).sort());
    const creates = sim.requests.filter((r) => r.kind === 'record');
    expect(creates).toHaveLength(10);
    expect(creates.filter((r) => r.deduplicated === true)).toHaveLength(5);
  });
});
