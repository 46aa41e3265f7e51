import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { DynamoStateStore, sourceKey } from '../../shared/aws/scan-state';
import { ConfigError, messageOf } from '../../shared/domain/errors';
import type { Settings } from '../../shared/domain/settings';
import type { PollSummary } from '../../poller/handler';
import { startLocalSecretsManager, type LocalSecretsManager } from '../emulators/secrets-server';
import { unsignedWarnings, fromObject, type LoadedConfig } from './config-file';
import { batchOutcomes } from '../report/delivery-outcomes';
import { demoConfig } from '../demo/demo-config';
import { inboxLine, startDemoInbox, type DemoInbox } from '../demo/demo-inbox';
import { startDemoSource, type DemoSource } from '../demo/demo-source';
import { SqsEventSource } from './event-source';
import { handlerWiring } from './handler-env';
import { loadLambdas, type LocalLambdas } from './lambda-host';
import { openLocalStores, type LocalStores } from '../state/local-stores';
import type { QueueDepths, Reporter } from '../report/progress';
import {
  LOCAL_REGION,
  ONCE_MAX_RECEIVE_COUNT,
  ONCE_RETRY_SECONDS,
  STACK_MAX_CONCURRENCY,
  STACK_MAX_RECEIVE_COUNT,
  STACK_VISIBILITY_TIMEOUT_SECONDS,
} from './resources';
import { readProfile, removeRunnerInfo, writeProfile, writeRunnerInfo, type RunnerInfo } from '../state/runtime-files';
import { checkRunnerDir, type StateDir } from '../state/state-dir';
import { Tally } from '../report/tally';

/** How often the queues are written to the state directory while running. */
const SAVE_EVERY_MS = 5_000;

export interface PipelineOptions {
  dir: StateDir;
  /** A validated config file; absent: the demo. */
  config?: LoadedConfig;
  once: boolean;
  reporter: Reporter;
}

/** The whole pipeline on this machine: servers, the real handlers, the event source. */
export interface LocalPipeline {
  settings: Settings;
  stores: LocalStores;
  lambdas: LocalLambdas;
  tally: Tally;
  forwarder: SqsEventSource;
  /** Message ids the forwarder has received (kept only for `--once`). */
  received: Set<string>;
  /**
   * One poller invocation, then a save of the queues: what it queued and where it left the
   * cursor are on disk before the next poll, so a kill -9 later rewinds to this point at worst
   * (source-checkpoint.ts). Above all the first run of `startFrom: latest` is recorded at once.
   */
  poll(budgetMs: number): Promise<PollSummary>;
  demo?: { gatewayUrl: string; inboxUrl: string };
  cursor(): Promise<string | null>;
  depths(): Promise<QueueDepths>;
  /** Stops receiving (finishing the batch in flight), saves the queues, closes everything. */
  close(): Promise<void>;
}

/**
 * Starts the pipeline in the order the handlers need: state directory (locked) with DynamoDB
 * and SQS, the secrets, then the handlers (they read env and secrets on load), then the
 * forwarder's event source. Polling is the caller's (run-once / run-continuous).
 */
export async function startPipeline(opts: PipelineOptions): Promise<LocalPipeline> {
  const { dir, reporter, once } = opts;
  const closers: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        reporter.warn(`while stopping: ${messageOf(error)}`);
      }
    }
  };
  try {
    await checkRunnerDir(dir);
    await refuseOtherKind(dir, opts.config);
    const maxReceiveCount = once ? ONCE_MAX_RECEIVE_COUNT : STACK_MAX_RECEIVE_COUNT;
    const stores = await openLocalStores(dir, {
      purpose: 'runner',
      maxReceiveCount,
      visibilityTimeoutSeconds: STACK_VISIBILITY_TIMEOUT_SECONDS,
      // --once fast-forwards retry waits, the saved ones included.
      ...(once ? { restoreDelayCapSeconds: 0 } : {}),
    });
    closers.push(() => stores.close());
    // A key id of this run's own: the secrets server answers the handlers and no one else.
    const accessKeyId = `LOCAL${randomBytes(12).toString('hex').toUpperCase()}`;
    const secretsManager: LocalSecretsManager = await startLocalSecretsManager({}, { accessKeyId });
    closers.push(() => secretsManager.close());

    let config = opts.config;
    let demo: { source: DemoSource; inbox: DemoInbox } | undefined;
    if (config === undefined) {
      const inbox = await startDemoInbox({
        onLead: (lead) => reporter.line(inboxLine(lead)),
        onRefused: (reason) => reporter.warn(`inbox refused a request: ${reason}`),
      });
      closers.push(() => inbox.close());
      const source = await startDemoSource();
      closers.push(() => source.stop());
      demo = { source, inbox };
      config = fromObject(demoConfig(source.gateway.url, inbox, source.mobilePrivateKey));
    }
    const { settings } = config;
    for (const warning of unsignedWarnings(settings)) reporter.warn(warning);

    await writeProfile(
      dir.profileFile,
      config.path === undefined ? { kind: 'demo' } : { kind: 'config', configFile: config.path },
    );
    const info: RunnerInfo = { pid: process.pid, endpoints: stores.endpoints, table: stores.table, queues: stores.queues };
    if (demo !== undefined) info.demoConfig = config.raw;
    await writeRunnerInfo(dir.runnerFile, info);
    closers.push(() => removeRunnerInfo(dir.runnerFile));

    const wiring = handlerWiring({
      settings,
      webhooks: config.raw.webhooks,
      endpoints: { ...stores.endpoints, secretsManager: secretsManager.endpoint },
      table: stores.table,
      queues: stores.queues,
      maxReceiveCount,
      accessKeyId,
    });
    for (const [arn, value] of Object.entries(wiring.secrets)) secretsManager.set(arn, value);
    const lambdas = await loadLambdas(wiring.env, dir.handlerLog, { forwarders: STACK_MAX_CONCURRENCY });
    closers.push(() => lambdas.close());

    const endpointNames = settings.webhooks.map((endpoint) => endpoint.name);
    const tally = new Tally(endpointNames);
    const received = new Set<string>();
    const depths = async (): Promise<QueueDepths> => {
      const [queued, dead] = await Promise.all([
        depthOf(stores, stores.queues.leads.url),
        depthOf(stores, stores.queues.deadLetters.url),
      ]);
      return { queued, dead };
    };
    const forwarder = new SqsEventSource({
      sqs: stores.sqs,
      queue: stores.queues.leads,
      region: LOCAL_REGION,
      containers: lambdas.forwarders.map((container) => (event: SQSEvent) => container.forward(event)),
      // --once short-polls so that it can stop the moment the queue is drained.
      waitSeconds: once ? 0 : 2,
      idleMs: once ? 100 : 0,
      ...(once ? { retrySeconds: ONCE_RETRY_SECONDS } : {}),
      claims: stores.receiveClaims,
      onBatch: async (report) => {
        if (once) for (const record of report.records) received.add(record.messageId);
        if (report.error !== undefined) {
          reporter.warn(
            `the forwarder failed on a batch of ${report.records.length} (${messageOf(report.error)}); the messages stay on the queue (see ${dir.handlerLog})`,
          );
        }
        try {
          const outcomes = await batchOutcomes(stores.ddb, stores.table, settings.webhooks, report);
          tally.batch(outcomes);
          reporter.batch(outcomes);
        } catch (error) {
          // Only the progress display is affected: the batch itself is settled.
          reporter.warn(`could not read what the forwarder delivered: ${messageOf(error)}`);
        }
      },
      onError: (error) => reporter.warn(`receiving from the local queue failed: ${messageOf(error)}`),
    });
    closers.push(() => forwarder.stop());
    forwarder.start();

    // Saved on a clean stop anyway; saving as it runs keeps what a crash (kill -9) can lose small.
    const saver = setInterval(() => {
      stores.save().catch((error: unknown) => reporter.warn(`saving the queues failed: ${messageOf(error)}`));
    }, SAVE_EVERY_MS);
    closers.push(() => {
      clearInterval(saver);
      return Promise.resolve();
    });

    const state = new DynamoStateStore(stores.ddb, stores.table, sourceKey(settings.top.appKey));
    return {
      settings,
      stores,
      lambdas,
      tally,
      forwarder,
      received,
      ...(demo === undefined ? {} : { demo: { gatewayUrl: demo.source.gateway.url, inboxUrl: demo.inbox.url } }),
      poll: async (budgetMs) => {
        try {
          return await lambdas.poll(budgetMs);
        } finally {
          await stores.save().catch((error: unknown) => reporter.warn(`saving the queues failed: ${messageOf(error)}`));
        }
      },
      cursor: async () => (await state.load()).cursor ?? null,
      depths,
      close: unwind,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/**
 * The demo and a real configuration never share a state directory: the leads one left queued (or
 * parked) would go to the other's webhooks, demo leads to a real CRM or real leads to the demo
 * inbox. Checked before anything is opened, so nothing changes.
 */
async function refuseOtherKind(dir: StateDir, config: LoadedConfig | undefined): Promise<void> {
  const previous = await readProfile(dir.profileFile);
  if (previous === undefined) return;
  if (previous.kind === 'demo' && config !== undefined) {
    throw new ConfigError([
      `${dir.root} holds the demo's state: its queued leads would go to your webhooks. Use another directory for your configuration (--state-dir DIR), or delete ${dir.root} if you no longer need the demo`,
    ]);
  }
  if (previous.kind === 'config' && config === undefined) {
    throw new ConfigError([
      `${dir.root} holds the state of ${previous.configFile}: the demo would send its queued leads to the demo inbox. Run the demo in another directory (--state-dir DIR), or pass --config ${previous.configFile}`,
    ]);
  }
}

/** Messages on a queue: visible, in flight (incl. waiting out a retry) and delayed. */
export async function depthOf(stores: Pick<LocalStores, 'sqs'>, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await stores.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const count = (value: string | undefined): number => Number(value ?? 0) || 0;
  return (
    count(Attributes.ApproximateNumberOfMessages) +
    count(Attributes.ApproximateNumberOfMessagesNotVisible) +
    count(Attributes.ApproximateNumberOfMessagesDelayed)
  );
}

/** How often a terminal's live status line is redrawn. */
const STATUS_EVERY_MS = 1_000;

/** Redraws the live status line (on a terminal only) until the returned timer is cleared. */
export function startStatusLine(pipeline: LocalPipeline, reporter: Reporter): NodeJS.Timeout {
  return setInterval(() => {
    if (!reporter.live) return;
    pipeline
      .depths()
      .then((depths) => reporter.status(pipeline.tally.snapshot(), depths))
      .catch(() => undefined);
  }, STATUS_EVERY_MS);
}
