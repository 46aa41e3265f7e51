import { createDeliver } from '../../../functions/forwarder/deliver';
import type { ForwardDeps } from '../../../functions/forwarder/ports';
import { LEADS_RETENTION_SECONDS } from '../../../functions/local/runner/resources';
import { DynamoEndpointStatus } from '../../../functions/shared/aws/endpoint-status';
import { SqsForwarderQueue } from '../../../functions/shared/aws/forwarder-queue';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { DynamoLedger } from '../../../functions/shared/aws/ledger';
import { parseForwarderSettings } from '../../../functions/shared/config/parse-settings';
import type { Lead } from '../../../functions/shared/domain/lead';
import type { Endpoint } from '../../../functions/shared/domain/settings';
import { createDispatcher } from '../../../functions/shared/webhook/sender';
import { drain } from '../../support/forwarder-loop';
import { localAwsPerTest } from '../../support/local-aws';
import { startReceiver, type Receiver } from '../../support/receiver';
import { deadLetters } from '../../support/reliability-forwarder';
import { CLIENT_SECRET, TokenServer } from '../../support/token-server';

/** DESIGN §7 through the forwarder core: filters, templates and auth, against dynalite, fauxqs and node:http servers. */

const aws = localAwsPerTest({ maxReceiveCount: 10 });
const dispatcher = createDispatcher();
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => dispatcher.close());

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  servers.push(r);
  return r;
}

/** Endpoints as an operator writes them, parsed (and their expressions compiled) by the real config parser. */
function endpoints(raw: Record<string, unknown>[]): Endpoint[] {
  return parseForwarderSettings({ webhooks: raw }).webhooks;
}

function deps(list: Endpoint[], backoff = 0): ForwardDeps {
  return {
    endpoints: list,
    ledger: new DynamoLedger(aws.dynamo.client, aws.table),
    endpointStatus: new DynamoEndpointStatus(aws.dynamo.client, aws.table),
    queue: new SqsForwarderQueue(aws.sqs, aws.queues.queueUrl, aws.queues.dlqUrl),
    deliver: createDeliver(dispatcher),
    maxReceiveCount: 10,
    leadsRetentionSeconds: LEADS_RETENTION_SECONDS,
    concurrency: 10,
    backoffSeconds: (_attempt, retryAfter) => retryAfter ?? backoff,
  };
}

const PAGE_A = '5314456';
const PAGE_B = '5320001';

/** Leads alternating between two landing pages and a third; ids beyond 2^53; some without a location. */
function leads(n: number): Lead[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(9007199254740993000n + BigInt(i)),
    name: '**三',
    page_id: [PAGE_A, PAGE_B, '5399999'][i % 3]!,
    page_name: '新半价2',
    ...(i % 2 === 0 ? { location: 'xx省xx市xx县' } : {}),
    extend_list: [{ code: 'sex', label: '性别', value: '男' }],
  }));
}

const enqueue = (list: Lead[]): Promise<void> =>
  new SqsLeadQueue(aws.sqs, aws.queues.queueUrl).enqueue(list, '2026-11-29T06:00:00.000Z').then(() => undefined);

describe('destinations (DESIGN §7)', () => {
  it('a form endpoint and a JSON endpoint each get exactly the leads their filter lets through, once; the complement reaches a third; the rest are skipped', async () => {
    const legacy = await receiver();
    const api = await receiver();
    const crm = await receiver();
    const list = endpoints([
      {
        name: 'legacy',
        url: legacy.url,
        format: 'http',
        contentType: 'form',
        filter: `data.page_id = '${PAGE_A}'`,
        body: "{'lead_no': data.id, 'customer': data.name, 'page': data.page_name, 'area': data.location, 'extra': data.extend_list}",
      },
      {
        name: 'api',
        url: api.url,
        format: 'http',
        method: 'PUT',
        filter: `data.page_id = '${PAGE_B}'`,
        body: "{'externalId': $webhookId, 'id': data.id, 'page': data.page_name}",
      },
      { name: 'crm', url: crm.url, filter: `$not(data.page_id in ['${PAGE_A}', '${PAGE_B}'])` },
    ]);
    const all = leads(30);
    await enqueue(all);
    const results = await drain(deps(list), aws.sqs, aws.queues.queueUrl);

    const ids = (page: string): string[] =>
      all
        .filter((l) => l.page_id === page)
        .map((l) => l.id)
        .sort();
    const forms = legacy.requests.map((r) => new URLSearchParams(r.body));
    expect(forms.map((f) => f.get('lead_no')).sort()).toEqual(ids(PAGE_A));
    expect(legacy.requests.every((r) => r.headers['content-type'] === 'application/x-www-form-urlencoded;charset=utf-8')).toBe(
      true,
    );
    for (const form of forms) {
      const lead = all.find((l) => l.id === form.get('lead_no'))!;
      expect(form.get('customer')).toBe('**三');
      expect(form.get('page')).toBe('新半价2');
      expect(JSON.parse(form.get('extra')!)).toEqual([{ code: 'sex', label: '性别', value: '男' }]);
      expect(form.has('area')).toBe(lead.location !== undefined);
    }
    expect(api.requests.map((r) => (r.json as { id: string }).id).sort()).toEqual(ids(PAGE_B));
    expect(api.requests.map((r) => (r.json as { externalId: string }).externalId).sort()).toEqual(
      ids(PAGE_B).map((id) => `lead_${id}`),
    );
    expect(crm.accepted.sort()).toEqual(ids('5399999'));

    const states = results.flatMap((r) => r.endpoints.map((e) => e.state));
    expect(states.filter((s) => s === 'delivered')).toHaveLength(30);
    expect(states.filter((s) => s === 'skipped')).toHaveLength(60);
    expect(results.every((r) => r.kind === 'done')).toBe(true);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
  });

  it('an expression that fails on a lead parks that (lead, endpoint) with the reason; the other endpoints still get the lead', async () => {
    const picky = await receiver();
    const crm = await receiver();
    const list = endpoints([
      // $number of a text that is not a number fails at run time, not when compiled.
      { name: 'picky', url: picky.url, format: 'http', body: "{'n': $number(data.name)}" },
      { name: 'crm', url: crm.url },
    ]);
    await enqueue(leads(3));
    const results = await drain(deps(list), aws.sqs, aws.queues.queueUrl);
    expect(picky.requests).toEqual([]);
    expect(crm.accepted).toHaveLength(3);
    expect(results.map((r) => r.kind)).toEqual(['parked', 'parked', 'parked']);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked).toHaveLength(3);
    for (const message of parked) {
      expect(message.endpoints).toBe('picky');
      expect(message.reason).toContain('webhooks "picky".body');
      // The reason names the endpoint and the key, never the lead's contents.
      expect(message.reason).not.toContain('**三');
    }
  });

  it('a runaway expression fails within its bound each time, is retried (time is no fact about the lead), and parks the pair once the receives are spent', async () => {
    const crm = await receiver();
    const list = endpoints([
      { name: 'loop', url: crm.url, filter: '($f := function($x){ $f($x) }; $f(1))' },
      { name: 'crm', url: crm.url },
    ]);
    await enqueue(leads(1));
    const results = await drain(deps(list), aws.sqs, aws.queues.queueUrl);
    // maxReceiveCount 10: nine retries, then parked on the last receive, never holding a batch.
    expect(results.map((r) => r.kind)).toEqual([...Array<string>(9).fill('retry'), 'parked']);
    expect(results.map((r) => r.endpoints.map((e) => e.state))).toEqual([
      ['retry', 'delivered'],
      ...Array<string[]>(9).fill(['retry', 'already-delivered']),
    ]);
    expect(crm.accepted).toHaveLength(1);
    expect(results[9]!.endpoints[0]!.reason).toMatch(/webhooks "loop"\.filter ran longer than 250 ms/);
    const parked = await deadLetters(aws.sqs, aws.queues.dlqUrl);
    expect(parked.map((m) => m.endpoints)).toEqual(['loop']);
  });

  it('OAuth: one token for many deliveries, a refused token renewed with every lead arriving once, a token endpoint that is down leaves the leads queued until it is back', async () => {
    const tokens = new TokenServer();
    await tokens.start();
    servers.push({ close: () => tokens.stop() });
    const revoked = new Set<string>();
    const seen = new Map<string, number>();
    const api = await receiver((_n, request) => {
      const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      if (token === undefined || revoked.has(token)) return { status: 401 };
      const id = (request.json as { id: string }).id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return { status: 200 };
    });
    const list = endpoints([
      {
        name: 'oauth-api',
        url: api.url,
        format: 'http',
        body: "{'id': data.id}",
        // A token URL of its own per test run, so no other test's cached token is reused.
        auth: {
          type: 'oauth2',
          tokenUrl: tokens.url,
          clientId: `client-${tokens.port}`,
          clientSecret: CLIENT_SECRET,
          scope: 'leads.write',
        },
      },
    ]);
    const first = leads(20);
    await enqueue(first);
    const run1 = await drain(deps(list), aws.sqs, aws.queues.queueUrl);
    expect(tokens.issued()).toBe(1);
    expect([...seen.keys()].sort()).toEqual(first.map((l) => l.id).sort());

    // The API revokes the token before its time: the next delivery gets a 401, a new token, and goes through.
    revoked.add('tok-1');
    const second = leads(25).slice(20);
    await enqueue(second);
    const run2 = await drain(deps(list), aws.sqs, aws.queues.queueUrl);
    expect(tokens.issued()).toBe(2);

    // Down: the leads stay on the queue; back up (and the token revoked again): they arrive.
    revoked.add('tok-2');
    await tokens.stop();
    const third = [{ id: '7001', name: '**三', page_id: PAGE_A }];
    await enqueue(third);
    // A second between attempts, so the few attempts while it is down stay far from the last receive.
    const down = await drain(deps(list, 1), aws.sqs, aws.queues.queueUrl, { idleMs: 300, maxMs: 2_500 });
    expect(down.length).toBeGreaterThan(0);
    expect(down.map((r) => [r.kind, r.endpoints.map((e) => e.reason)])).toEqual(
      down.map(() => ['retry', [expect.stringContaining('token')]]),
    );
    expect(seen.has('7001')).toBe(false);
    await tokens.start(tokens.port);
    const run3 = await drain(deps(list), aws.sqs, aws.queues.queueUrl);

    expect([...seen.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(seen.size).toBe(26);
    expect(await deadLetters(aws.sqs, aws.queues.dlqUrl)).toEqual([]);
    // No credential in anything the forwarder reports (what its logs are made of).
    const reported = JSON.stringify([run1, run2, down, run3]);
    for (const secret of [CLIENT_SECRET, 'tok-1', 'tok-2', 'tok-3']) expect(reported).not.toContain(secret);
  });
});
