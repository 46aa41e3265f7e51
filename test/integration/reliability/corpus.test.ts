import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfigFile } from '../../../functions/local/runner/config-file';
import { startLocalSecretsManager, type LocalSecretsManager } from '../../../functions/local/emulators/secrets-server';
import { poll, type PollResult } from '../../../functions/poller/poll';
import { SEEN_AT_ATTRIBUTE } from '../../../functions/shared/domain/lead-message';
import { SqsLeadQueue } from '../../../functions/shared/aws/lead-queue';
import { DynamoStateStore, sourceKey } from '../../../functions/shared/aws/scan-state';
import { ConfigError, LeadForwarderError } from '../../../functions/shared/domain/errors';
import type { Lead } from '../../../functions/shared/domain/lead';
import { TopClient } from '../../../functions/shared/taobao/client';
import { TopLeadSource } from '../../../functions/shared/taobao/lead-source';
import {
  generateLeads,
  startSimulatedGateway,
  type GatewayFault,
  type SimulatedGateway,
} from '../../../functions/local/simulators/alimama-gateway';
import { realisticLeads, sqsEvent } from '../../support/bench-leads';
import { buildBundles, lambdaEnvironment, startLambda, type Bundles } from '../../support/bench-lambda';
import {
  createQueues,
  fauxqsEndpoint,
  sqsClient,
  startDynalite,
  type LocalDynamo,
  type TestQueues,
} from '../../support/local-aws';
import { takeLeadIds } from '../../support/queue-contents';
import { startReceiver, type Receiver } from '../../support/receiver';
import { recordFigures } from '../../support/reliability-figures';
import { deadLetters, drainWith, endpoint } from '../../support/reliability-forwarder';
import { audit, startRecordingReceiver, type RecordingReceiver } from '../../support/reliability-receiver';
import { createStateTable } from '../../support/tables';

/**
 * The bad-input corpus (corpus/manifest.json): malformed gateway answers, queue messages no
 * poller wrote, broken config files. Each must end in its clear, named error or its documented
 * handling; none may crash a process or lose a lead.
 */

const CORPUS = path.join(__dirname, 'corpus');

type GatewayFailure = { error: string; retried: boolean } | { stopped: 'rate-limited'; retried: boolean };
type GatewayExpectation =
  | GatewayFailure
  | { accept: { ids: string[]; rejected: number; data?: Record<string, Record<string, unknown> & { absent?: string[] }> } };
interface GatewayCase {
  file: string;
  status?: number;
  why: string;
  firstPage?: GatewayExpectation;
  midScan?: GatewayExpectation;
}
interface SqsCase {
  file: string;
  reason: string;
}
interface ConfigCase {
  file: string;
  valid?: boolean;
  errors?: string[];
  minProblems?: number;
  mustNotContain?: string[];
}
interface Manifest {
  secrets: string[];
  gateway: GatewayCase[];
  sqs: SqsCase[];
  config: ConfigCase[];
}

const manifest = JSON.parse(readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8')) as Manifest;
const corpusText = (file: string): string => readFileSync(path.join(CORPUS, file), 'utf8');
const figures = { gatewayBodies: 0, gatewayRuns: 0, sqsBodies: 0, configFiles: 0, leadsLost: 0 };

let dynamo: LocalDynamo;
let sqs: SQSClient;

beforeAll(async () => {
  dynamo = await startDynalite();
  sqs = sqsClient();
});
afterAll(async () => {
  recordFigures('corpus', figures);
  await dynamo.close();
  sqs.destroy();
});

/** Never a bare TypeError or SyntaxError: a failure names what happened. */
function expectClearError(error: unknown, pattern: string): void {
  expect(error).toBeInstanceOf(LeadForwarderError);
  expect(error instanceof Error ? error.message : String(error)).toMatch(new RegExp(pattern));
}

/** What a run that met a bad answer came to: its clear error, or (a rate limit) a cycle ended early. */
function expectCleanEnd(outcome: unknown, expected: GatewayFailure): void {
  if ('stopped' in expected) expect(outcome).toMatchObject({ stoppedEarly: expected.stopped });
  else expectClearError(outcome, expected.error);
}

const failureOf = (expectation: GatewayExpectation | undefined): expectation is GatewayFailure =>
  expectation !== undefined && ('error' in expectation || 'stopped' in expectation);

describe("gateway answers (served with the simulated gateway's raw-body fault)", () => {
  let gateway: SimulatedGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  async function setUp(
    leads: number,
  ): Promise<{ gw: SimulatedGateway; run: () => Promise<PollResult>; state: DynamoStateStore; queues: TestQueues }> {
    const gw = await startSimulatedGateway({ leads: generateLeads(leads, { startId: '1000', seed: 'corpus' }) });
    gateway = gw;
    // Retries a few milliseconds apart: the corpus is about outcomes, not waiting.
    const client = new TopClient({
      appKey: gw.appKey,
      appSecret: gw.appSecret,
      sessionKey: gw.sessionKey,
      gatewayUrl: gw.url,
      backoffBaseMs: 1,
      backoffMaxMs: 2,
    });
    const table = await createStateTable(dynamo.client);
    const queues = await createQueues(sqs);
    const state = new DynamoStateStore(dynamo.client, table, sourceKey(gw.appKey));
    const deps = { source: new TopLeadSource(client), state, queue: new SqsLeadQueue(sqs, queues.queueUrl) };
    return {
      gw,
      state,
      queues,
      run: () => poll(deps, { pageSize: 10, startFrom: { kind: 'all' }, deadline: Date.now() + 30_000 }),
    };
  }

  const fault = (c: GatewayCase): GatewayFault => ({
    kind: 'raw-body',
    body: corpusText(c.file),
    ...(c.status === undefined ? {} : { status: c.status }),
  });
  const firstPageErrors = manifest.gateway.filter((c) => failureOf(c.firstPage));
  const midScanErrors = manifest.gateway.filter((c) => failureOf(c.midScan));
  const accepted = manifest.gateway.filter((c) => c.firstPage !== undefined && 'accept' in c.firstPage);
  figures.gatewayBodies = manifest.gateway.length;

  it.each(firstPageErrors.map((c) => [c.file, c] as const))(
    '%s as the first page of a scan: a clear error (a rate limit: an early stop), state unchanged, nothing lost once the gateway recovers',
    async (_file, c) => {
      const expected = c.firstPage as GatewayFailure;
      const { gw, run, state, queues } = await setUp(25);
      await run();
      await takeLeadIds(sqs, queues.queueUrl);
      gw.addLeads(generateLeads(25, { startId: '5000', seed: 'corpus-new' }));
      const before = await state.load();
      gw.clearRequests();
      gw.setFault(fault(c));
      expectCleanEnd(
        await run().then(
          (result) => result,
          (error: unknown) => error,
        ),
        expected,
      );
      figures.gatewayRuns += 1;
      expect(gw.requests.length > 1).toBe(expected.retried);
      expect(await state.load()).toEqual(before);
      expect(await takeLeadIds(sqs, queues.queueUrl)).toEqual([]);

      gw.setFault(undefined);
      expect((await run()).enqueued).toBe(25);
      const queued = new Set(await takeLeadIds(sqs, queues.queueUrl));
      const lost = gw.leads.filter((l) => BigInt(l.id) >= 5000n && !queued.has(l.id));
      figures.leadsLost += lost.length;
      expect(lost).toEqual([]);
    },
  );

  it.each(midScanErrors.map((c) => [c.file, c] as const))(
    '%s in the middle of a scan: a clear error (a rate limit: an early stop), the scan kept at the last good page, nothing lost once the gateway recovers',
    async (_file, c) => {
      const expected = c.midScan as GatewayFailure;
      const { gw, run, state, queues } = await setUp(25);
      await run();
      await takeLeadIds(sqs, queues.queueUrl);
      gw.addLeads(generateLeads(25, { startId: '5000', seed: 'corpus-new' }));
      const before = await state.load();
      const firstPage = gw.leads.slice(0, 10).map((l) => l.id);
      // The first page answers normally; the second (and its retries, if any) get the bad body.
      gw.queueFault({ kind: 'delay', ms: 0 }, ...Array.from({ length: expected.retried ? 4 : 1 }, () => fault(c)));
      expectCleanEnd(
        await run().then(
          (result) => result,
          (error: unknown) => error,
        ),
        expected,
      );
      figures.gatewayRuns += 1;
      const after = await state.load();
      expect(after.cursor).toBe(before.cursor);
      expect(after.scan?.next).toBe(firstPage.at(-1));
      const queued = new Set(await takeLeadIds(sqs, queues.queueUrl));
      expect([...queued].sort()).toEqual([...firstPage].sort());

      for (const id of await run().then((r) => r.enqueuedIds)) queued.add(id);
      for (const id of await takeLeadIds(sqs, queues.queueUrl)) queued.add(id);
      const lost = gw.leads.filter((l) => BigInt(l.id) >= 5000n && !queued.has(l.id));
      figures.leadsLost += lost.length;
      expect(lost).toEqual([]);
    },
  );

  it.each(accepted.map((c) => [c.file, c] as const))(
    '%s: read as a page, its good leads delivered as they are',
    async (_file, c) => {
      const expected = (c.firstPage as Extract<GatewayExpectation, { accept: unknown }>).accept;
      const { gw, run, queues } = await setUp(0);
      gw.setFault(fault(c));
      const result = await run();
      figures.gatewayRuns += 1;
      expect(result.rejected).toHaveLength(expected.rejected);
      expect(result.enqueuedIds).toEqual(expected.ids);
      if (expected.data === undefined) return;
      const receiver: Receiver = await startReceiver();
      try {
        await drainWith(
          {
            ddb: dynamo.client,
            sqs,
            table: await createStateTable(dynamo.client),
            queues,
            endpoints: [endpoint('crm', receiver.url)],
            maxReceiveCount: 5,
            backoffSeconds: 0,
          },
          1,
          { idleMs: 500 },
        );
        for (const [id, fields] of Object.entries(expected.data)) {
          const data = receiver.requests.map((r) => (r.json as { data: Record<string, unknown> }).data).find((d) => d.id === id);
          const { absent = [], ...present } = fields;
          expect(data).toMatchObject(present);
          for (const key of absent) expect(data).not.toHaveProperty(key);
        }
      } finally {
        await receiver.close();
      }
    },
  );
});

describe('queue messages no poller wrote (sent straight to the leads queue)', () => {
  const good = realisticLeads(3, { startId: '6001', seed: 'corpus' });
  figures.sqsBodies = manifest.sqs.length;

  /** Every corpus body must be in the DLQ, intact, with its reason; nothing else may be. */
  function expectParked(parked: { body: string; reason?: string }[]): void {
    expect(parked).toHaveLength(manifest.sqs.length);
    for (const c of manifest.sqs) {
      const found = parked.find((p) => p.body === corpusText(c.file));
      expect({ file: c.file, parked: found !== undefined }).toEqual({ file: c.file, parked: true });
      expect(found?.reason).toMatch(new RegExp(c.reason));
    }
  }

  it('the forwarder parks each in the DLQ with its reason, body intact, and delivers the good leads in the same batches', async () => {
    const queues = await createQueues(sqs, { maxReceiveCount: 5 });
    await new SqsLeadQueue(sqs, queues.queueUrl).enqueue(good.slice(0, 2), new Date().toISOString());
    for (const c of manifest.sqs) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.queueUrl,
          MessageBody: corpusText(c.file),
          MessageAttributes: { [SEEN_AT_ATTRIBUTE]: { DataType: 'String', StringValue: new Date().toISOString() } },
        }),
      );
    }
    await new SqsLeadQueue(sqs, queues.queueUrl).enqueue(good.slice(2), new Date().toISOString());
    const receivers: Record<string, RecordingReceiver> = {
      crm: await startRecordingReceiver(),
      erp: await startRecordingReceiver(),
    };
    try {
      const records = await drainWith(
        {
          ddb: dynamo.client,
          sqs,
          table: await createStateTable(dynamo.client),
          queues,
          endpoints: Object.entries(receivers).map(([name, r]) => endpoint(name, r.url)),
          maxReceiveCount: 5,
          backoffSeconds: 0,
        },
        1,
        { idleMs: 500 },
      );
      expect(records.filter((r) => r.malformed === true)).toHaveLength(manifest.sqs.length);
      const result = audit(
        receivers,
        good.map((l) => l.id),
      );
      expect(result.losses).toEqual([]);
      expect(result.duplicates).toEqual([]);
      expect(result.deliveries).toBe(good.length * 2);
      expectParked(await deadLetters(sqs, queues.dlqUrl));
    } finally {
      await Promise.all(Object.values(receivers).map((r) => r.close()));
    }
  });

  describe('the deployed forwarder bundle in its own process', () => {
    let bundles: Bundles;
    let secrets: LocalSecretsManager;
    beforeAll(async () => {
      [bundles, secrets] = await Promise.all([buildBundles(['forwarder']), startLocalSecretsManager()]);
    }, 60_000);
    afterAll(async () => {
      await secrets.close();
      await bundles.remove();
    });

    it('handles one event holding every corpus body and good leads: no crash, no retry, each body parked, the good leads delivered', async () => {
      const receiver = await startRecordingReceiver();
      const queues = await createQueues(sqs, { maxReceiveCount: 5 });
      const webhooksArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:corpus/webhooks';
      secrets.set(webhooksArn, JSON.stringify([{ name: 'crm', url: receiver.url }]));
      const env = lambdaEnvironment({
        endpoints: { dynamo: dynamo.endpoint, sqs: fauxqsEndpoint(), secretsManager: secrets.endpoint },
        table: await createStateTable(dynamo.client),
        ...queues,
        maxReceiveCount: 5,
        secretArns: { webhooks: webhooksArn },
      });
      const lambda = startLambda(bundles, bundles.files.forwarder, env);
      try {
        await lambda.loaded;
        const event = withBodies(
          sqsEvent(good),
          manifest.sqs.map((c) => corpusText(c.file)),
        );
        const result = await lambda.invoke(event);
        expect(result.ok ? '' : result.error).toBe('');
        expect(result.ok && (result.value as SQSBatchResponse).batchItemFailures).toEqual([]);
        expect(
          audit(
            { crm: receiver },
            good.map((l: Lead) => l.id),
          ),
        ).toMatchObject({ losses: [], duplicates: [], deliveries: good.length });
        expectParked(await deadLetters(sqs, queues.dlqUrl));
      } finally {
        await lambda.stop();
        await receiver.close();
      }
    });
  });
});

/** `event` plus one record per raw body, shaped like the event's own records. */
function withBodies(event: SQSEvent, bodies: string[]): SQSEvent {
  const template = event.Records[0]!;
  return {
    Records: [
      ...event.Records,
      ...bodies.map((body, i) => ({ ...template, messageId: `corpus-${i}`, receiptHandle: `corpus-handle-${i}`, body })),
    ],
  };
}

describe('config files (loaded the way `dev --config FILE` loads them)', () => {
  figures.configFiles = manifest.config.length;
  it.each(manifest.config.map((c) => [c.file, c] as const))('%s', async (_file, c) => {
    const outcome = await loadConfigFile(path.join(CORPUS, c.file)).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (c.valid === true) return expect(outcome).toBeUndefined();
    expect(outcome).toBeInstanceOf(ConfigError);
    const error = outcome as ConfigError;
    for (const pattern of c.errors ?? []) expect(error.message).toMatch(new RegExp(pattern));
    if (c.minProblems !== undefined) expect(error.problems.length).toBeGreaterThanOrEqual(c.minProblems);
    for (const secret of [...manifest.secrets, ...(c.mustNotContain ?? [])]) expect(error.message).not.toContain(secret);
  });
});
