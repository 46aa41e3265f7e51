import * as path from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { realisticLeads, sqsEvent } from '../support/bench-leads';
import {
  bundleBytes,
  buildBundles,
  lambdaEnvironment,
  startLambda,
  type Bundles,
  type FunctionName,
} from '../support/bench-lambda';
import type { BenchServers } from './servers';
import { median } from './stats';

/** Fresh processes per function; the median is reported (the first event varies ±30 ms between processes here). */
export const COLD_START_RUNS = 7;
/** Stands in for the Lambda runtime's /var/runtime/node_modules: the same SDK versions, unbundled. */
const RUNTIME_SDK_PATH = path.resolve(__dirname, '..', '..', 'node_modules');
/** Batches of ten leads the memory run feeds one forwarder process. */
export const MEMORY_BATCHES = 300;
export const BATCH_SIZE = 10;
/** The stack's function memory (infra/lead-function.ts). */
export const LAMBDA_MEMORY_MB = 256;

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ARN = {
  appSecret: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench/top-app-secret',
  sessionKey: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench/top-session-key',
  webhooks: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench/webhooks',
};

export interface ColdStart {
  function: FunctionName;
  bundleKb: number;
  /** `require` of the bundle: module-scope wiring (SDK clients, logger, pool). */
  requireMs: number;
  /** The first invocation: secrets read, then one real poll cycle or one one-lead batch. */
  firstEventMs: number;
  /** requireMs + firstEventMs. */
  coldStartMs: number;
  /** From the process start (node's own boot included) to the bundle loaded. */
  processToLoadedMs: number;
}

export interface LambdaFigures {
  /** The largest parts of each bundle. */
  composition: Bundles['composition'];
  coldStarts: ColdStart[];
  /** Same, without --enable-source-maps (the stack sets it through NODE_OPTIONS). */
  coldStartsNoSourceMaps: ColdStart[];
  /**
   * The alternative the stack does not deploy: `@aws-sdk/*` left to the Lambda runtime's copy
   * (NodejsFunction's default), found through NODE_PATH in this project's node_modules.
   */
  coldStartsRuntimeSdk: ColdStart[];
  memory: {
    batches: number;
    leads: number;
    deliveries: number;
    peakRssMb: number;
    rssAfterFirstBatchMb: number;
    rssAtEndMb: number;
  };
}

export async function benchLambdas(servers: BenchServers): Promise<LambdaFigures> {
  const bundles = await buildBundles();
  const runtimeSdkBundles = await buildBundles(['poller', 'forwarder'], { runtimeSdk: true });
  const receivers = await servers.receivers(3, 0);
  const gateway = await servers.gateway({ count: 150, startId: '700000000', latencyMs: 0 });
  try {
    await servers.setSecret(ARN.appSecret, gateway.appSecret);
    await servers.setSecret(ARN.sessionKey, gateway.sessionKey);
    await servers.setSecret(
      ARN.webhooks,
      JSON.stringify(receivers.urls.map((url, i) => ({ name: `crm${i + 1}`, url, secret: SECRET }))),
    );
    const { queueUrl, dlqUrl } = await servers.newQueues();
    let leadSeq = 0;
    /** One fresh process; `variant` picks the bundles and where their external modules are found. */
    type Variant = { built: Bundles; nodePath?: string };
    const coldRun = async (
      name: FunctionName,
      sourceMaps: boolean,
      { built, nodePath }: Variant,
    ): Promise<Omit<ColdStart, 'bundleKb'>> => {
      const table = await servers.newTable();
      const env = lambdaEnvironment({
        endpoints: { dynamo: servers.dynamoEndpoint, sqs: servers.sqsEndpoint, secretsManager: servers.secretsEndpoint },
        table,
        queueUrl,
        dlqUrl,
        maxReceiveCount: 55,
        secretArns: ARN,
        top: { appKey: gateway.appKey, gatewayUrl: gateway.url, pageSize: 100, startFrom: 'all' },
      });
      const lambda = startLambda(built, built.files[name], env, { sourceMaps, ...(nodePath === undefined ? {} : { nodePath }) });
      try {
        const loaded = await lambda.loaded;
        const event =
          name === 'poller' ? {} : sqsEvent(realisticLeads(1, { startId: String(800_000_000 + leadSeq++), seed: 'cold' }));
        const result = await lambda.invoke(event);
        if (!result.ok) throw new Error(`${name} cold start: the first event failed: ${result.error}`);
        return {
          function: name,
          requireMs: loaded.loadMs,
          firstEventMs: result.ms,
          coldStartMs: loaded.loadMs + result.ms,
          processToLoadedMs: loaded.sinceStartMs,
        };
      } finally {
        await lambda.stop();
      }
    };
    const coldStarts = async (sourceMaps: boolean, variant: Variant = { built: bundles }): Promise<ColdStart[]> => {
      const out: ColdStart[] = [];
      for (const name of ['poller', 'forwarder'] as const) {
        const runs: Omit<ColdStart, 'bundleKb'>[] = [];
        for (let i = 0; i < COLD_START_RUNS; i += 1) runs.push(await coldRun(name, sourceMaps, variant));
        out.push({
          function: name,
          bundleKb: (await bundleBytes(variant.built.files[name])) / 1024,
          requireMs: median(runs.map((r) => r.requireMs)),
          firstEventMs: median(runs.map((r) => r.firstEventMs)),
          coldStartMs: median(runs.map((r) => r.coldStartMs)),
          processToLoadedMs: median(runs.map((r) => r.processToLoadedMs)),
        });
      }
      return out;
    };
    const withMaps = await coldStarts(true);
    const withoutMaps = await coldStarts(false);
    const runtimeSdk = await coldStarts(true, { built: runtimeSdkBundles, nodePath: RUNTIME_SDK_PATH });
    const memory = await memoryRun(servers, bundles, { queueUrl, dlqUrl });
    return {
      composition: bundles.composition,
      coldStarts: withMaps,
      coldStartsNoSourceMaps: withoutMaps,
      coldStartsRuntimeSdk: runtimeSdk,
      memory,
    };
  } finally {
    await gateway.close();
    await receivers.close();
    await Promise.all([bundles.remove(), runtimeSdkBundles.remove()]);
  }
}

/**
 * One warm forwarder process handling MEMORY_BATCHES ten-lead batches of realistic leads, one
 * after another as Lambda would, delivering to three receivers answering in 20 ms; the
 * process's own peak RSS (getrusage) at the end.
 */
async function memoryRun(
  servers: BenchServers,
  bundles: Bundles,
  queues: { queueUrl: string; dlqUrl: string },
): Promise<LambdaFigures['memory']> {
  const slow = await servers.receivers(3, 20);
  const webhooksArn = `${ARN.webhooks}-memory`;
  await servers.setSecret(webhooksArn, JSON.stringify(slow.urls.map((url, i) => ({ name: `crm${i + 1}`, url, secret: SECRET }))));
  const env = lambdaEnvironment({
    endpoints: { dynamo: servers.dynamoEndpoint, sqs: servers.sqsEndpoint, secretsManager: servers.secretsEndpoint },
    table: await servers.newTable(),
    ...queues,
    maxReceiveCount: 55,
    secretArns: { webhooks: webhooksArn },
  });
  const lambda = startLambda(bundles, bundles.files.forwarder, env, { sourceMaps: true });
  try {
    await lambda.loaded;
    let first = 0;
    let last = 0;
    let peak = 0;
    for (let b = 0; b < MEMORY_BATCHES; b += 1) {
      const leads = realisticLeads(BATCH_SIZE, { startId: String(900_000_000 + b * BATCH_SIZE), seed: `memory-${b}` });
      const result = await lambda.invoke(sqsEvent(leads));
      if (!result.ok) throw new Error(`memory run: batch ${b} failed: ${result.error}`);
      const failures = (result.value as SQSBatchResponse).batchItemFailures;
      if (failures.length > 0) throw new Error(`memory run: batch ${b} reported ${failures.length} failures`);
      if (b === 0) first = result.rssKb;
      last = result.rssKb;
      peak = Math.max(peak, result.maxRssKb);
    }
    const leads = MEMORY_BATCHES * BATCH_SIZE;
    for (const r of await slow.accepted())
      if (r.unique !== leads) throw new Error(`memory run: a receiver accepted ${r.unique} of ${leads} leads`);
    return {
      batches: MEMORY_BATCHES,
      leads,
      deliveries: leads * slow.urls.length,
      peakRssMb: peak / 1024,
      rssAfterFirstBatchMb: first / 1024,
      rssAtEndMb: last / 1024,
    };
  } finally {
    await lambda.stop();
    await slow.close();
  }
}
