import { LEADS_RETENTION_SECONDS } from '../../functions/local/runner/resources';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_SETTINGS, SOURCE_MAP_ENVIRONMENT, type FunctionName } from '../../infra/bundling';
import { buildDeployable } from './deployable-bundle';
import { ENV } from '../../functions/shared/config/lambda-env';
import { OBSERVABILITY_ENV } from '../../functions/shared/observability/observability';

/**
 * The deployed bundles, run the way Lambda runs them: built with the stack's own esbuild
 * settings (infra/bundling.ts), loaded by a bare `node` child process (bench-lambda-child.ts)
 * whose handler is invoked over IPC. Shared by the benchmarks (cold start, memory) and the
 * reliability suite (a poller SIGKILLed mid-invocation).
 */

export type { FunctionName } from '../../infra/bundling';

export interface Bundles {
  dir: string;
  /** Bundle path per function. */
  files: Record<FunctionName, string>;
  /** What each bundle is made of: output KB per npm package (or `functions/`), largest first. */
  composition: Record<FunctionName, { source: string; kb: number }[]>;
  /** The child harness, plain JS. */
  child: string;
  remove(): Promise<void>;
}

/** What the parent sends the child. */
export type ChildRequest = { type: 'invoke'; event: unknown; budgetMs: number } | { type: 'exit' };

/** What the child sends back. */
export type ChildReply =
  | { type: 'loaded'; loadMs: number; sinceStartMs: number }
  | { type: 'load-failed'; error: string }
  | ({ type: 'result'; ok: true; value: unknown; ms: number } & ChildMemory)
  | ({ type: 'result'; ok: false; error: string; ms: number } & ChildMemory);

/** The child's memory right after an invocation; maxRssKb is the process's peak so far (getrusage). */
export interface ChildMemory {
  rssKb: number;
  heapUsedKb: number;
  maxRssKb: number;
}

export type InvokeResult = Extract<ChildReply, { type: 'result' }>;

/** Builds the requested function bundles and the child harness into a fresh temp directory. */
/**
 * Bundles the functions with the stack's esbuild settings. `runtimeSdk` leaves `@aws-sdk/*` out,
 * as NodejsFunction does by default, for the Lambda runtime's own copy to be used: startLambda's
 * `nodePath` then stands in for the runtime's /var/runtime/node_modules.
 */
export async function buildBundles(
  functions: readonly FunctionName[] = ['poller', 'forwarder'],
  opts: { runtimeSdk?: boolean } = {},
): Promise<Bundles> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lead-forwarder-bundles-'));
  const files = {} as Record<FunctionName, string>;
  const composition = {} as Bundles['composition'];
  await Promise.all(
    functions.map(async (name) => {
      files[name] = path.join(dir, name, 'index.js');
      const { metafile } = await buildDeployable(
        name,
        files[name],
        opts.runtimeSdk === true ? { external: [...BUNDLE_SETTINGS.externalModules, '@aws-sdk/*'] } : {},
      );
      composition[name] = byPackage(metafile);
    }),
  );
  const child = path.join(dir, 'child.js');
  await build({
    entryPoints: [path.join(__dirname, 'bench-lambda-child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  return { dir, files, composition, child, remove: () => rm(dir, { recursive: true, force: true }) };
}

function byPackage(metafile: Metafile): { source: string; kb: number }[] {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    if (output.entryPoint === undefined) continue;
    for (const [file, input] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (file.startsWith('functions/') ? 'functions/' : file);
      sizes.set(pkg, (sizes.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...sizes].map(([source, bytes]) => ({ source, kb: bytes / 1024 })).sort((a, b) => b.kb - a.kb);
}

/** Size in bytes of a bundle (the minified JS only, not its source map). */
export async function bundleBytes(file: string): Promise<number> {
  return (await stat(file)).size;
}

export interface LambdaEnvInput {
  endpoints: { dynamo: string; sqs: string; secretsManager: string };
  table: string;
  queueUrl: string;
  dlqUrl?: string;
  maxReceiveCount?: number;
  /** Secret ARNs as held by the local Secrets Manager. */
  secretArns: { appSecret?: string; sessionKey?: string; webhooks?: string };
  top?: { appKey: string; gatewayUrl: string; pageSize?: number; startFrom?: string };
}

/**
 * The environment the stack gives a function (names from functions/shared/config/lambda-env.ts),
 * pointed at local servers through the SDK's endpoint variables. Metrics are off (they would
 * print EMF to stdout), as in the local runner.
 */
export function lambdaEnvironment(input: LambdaEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.stateTable]: input.table,
    [ENV.leadsQueueUrl]: input.queueUrl,
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamo,
    AWS_ENDPOINT_URL_SQS: input.endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: input.endpoints.secretsManager,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // As Lambda sets it: the first invocation is the cold start Powertools marks.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    [OBSERVABILITY_ENV.metricsDisabled]: 'true',
  };
  if (input.dlqUrl !== undefined) env[ENV.dlqUrl] = input.dlqUrl;
  if (input.maxReceiveCount !== undefined) env[ENV.maxReceiveCount] = String(input.maxReceiveCount);
  env[ENV.leadsRetentionSeconds] = String(LEADS_RETENTION_SECONDS);
  if (input.secretArns.appSecret !== undefined) env[ENV.topAppSecretArn] = input.secretArns.appSecret;
  if (input.secretArns.sessionKey !== undefined) env[ENV.topSessionKeyArn] = input.secretArns.sessionKey;
  if (input.secretArns.webhooks !== undefined) env[ENV.webhooksSecretArn] = input.secretArns.webhooks;
  if (input.top !== undefined) {
    env[ENV.topAppKey] = input.top.appKey;
    env[ENV.topGatewayUrl] = input.top.gatewayUrl;
    env[ENV.pageSize] = String(input.top.pageSize ?? 100);
    env[ENV.startFrom] = input.top.startFrom ?? 'all';
  }
  return env;
}

/** A function's bundle loaded in its own `node` process. */
export interface LambdaProcess {
  child: ChildProcess;
  /** Resolves once the bundle is loaded (module-scope wiring done), with the load timing. */
  loaded: Promise<Extract<ChildReply, { type: 'loaded' }>>;
  invoke(event: unknown, budgetMs?: number): Promise<InvokeResult>;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Captured stderr (the handlers log to stdout, which is discarded). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts `bundles.child` on `bundle` with exactly `env` (plus PATH), as Lambda starts a
 * container. `sourceMaps` adds the stack's NODE_OPTIONS (--enable-source-maps), which the
 * deployed functions run with; `nodePath` sets NODE_PATH (where externalized modules are found).
 */
export function startLambda(
  bundles: Bundles,
  bundle: string,
  env: Record<string, string>,
  opts: { sourceMaps?: boolean; nodePath?: string } = {},
): LambdaProcess {
  const child = fork(bundles.child, [], {
    env: {
      PATH: process.env.PATH ?? '',
      ...(opts.nodePath === undefined ? {} : { NODE_PATH: opts.nodePath }),
      ...env,
      BENCH_LAMBDA_BUNDLE: bundle,
      ...(opts.sourceMaps === true ? SOURCE_MAP_ENVIRONMENT : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // The parent may run under tsx or jest; the child is plain node.
    execArgv: [],
  });
  let errText = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Bounded: a crash loop must not grow the parent's memory.
    if (errText.length < 20_000) errText += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pending: ((reply: InvokeResult) => void)[] = [];
  const loaded = new Promise<Extract<ChildReply, { type: 'loaded' }>>((resolve, reject) => {
    child.on('message', (message: ChildReply) => {
      if (message.type === 'loaded') resolve(message);
      else if (message.type === 'load-failed') reject(new Error(`bundle failed to load: ${message.error}`));
      else pending.shift()?.(message);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`child exited before loading (code ${code}, signal ${signal}): ${errText.slice(0, 2_000)}`)),
    );
  });
  // A kill before loading is an expected outcome for callers that never await `loaded`.
  loaded.catch(() => undefined);
  return {
    child,
    loaded,
    exited,
    stderr: () => errText,
    invoke: (event, budgetMs = 60_000) =>
      new Promise<InvokeResult>((resolve, reject) => {
        pending.push(resolve);
        void exited.then(({ code, signal }) =>
          reject(new Error(`child exited during the invocation (code ${code}, signal ${signal}): ${errText.slice(0, 2_000)}`)),
        );
        const request: ChildRequest = { type: 'invoke', event, budgetMs };
        child.send(request);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ type: 'exit' } satisfies ChildRequest);
        else child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
