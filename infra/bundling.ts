import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * The one esbuild configuration of both functions. The stack hands it to NodejsFunction and
 * test/infra/bundle.test.ts hands the same values to esbuild's JS API, so the bundle the tests
 * run is the bundle that deploys: one `index.js` (and its map) per function. esbuild is a
 * devDependency, so NodejsFunction always bundles on this machine, never in Docker: the paths
 * below are this checkout's.
 */

const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The handlers' source files, by function. */
export const FUNCTION_ENTRIES = {
  poller: path.join(PROJECT_ROOT, 'functions', 'poller', 'handler.ts'),
  forwarder: path.join(PROJECT_ROOT, 'functions', 'forwarder', 'handler.ts'),
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

export const LOCK_FILE = path.join(PROJECT_ROOT, 'package-lock.json');

/**
 * The default credential chain of the AWS SDK, and what the bundles use instead: the SDK's own
 * provider of the credentials Lambda puts in the environment (lambda-credentials.ts says why).
 */
const SDK_CREDENTIAL_CHAIN = '@aws-sdk/credential-provider-node';
const LAMBDA_CREDENTIALS = path.join(PROJECT_ROOT, 'functions', 'shared', 'aws', 'lambda-credentials.ts');

/** The exported function name the Lambda runtime calls in each bundle. */
export const HANDLER_EXPORT = 'handler';

export const BUNDLE_SETTINGS = {
  // node20, not the runtime's node22: the same bundle then also runs on this project's own
  // machines (Node 20), which is how the bundle test exercises it.
  target: 'node20',
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings, not a second copy of every source file: half the size.
  sourcesContent: false,
  // The AWS SDK is bundled, not taken from the runtime: the lockfile pins the versions that
  // were tested, and the runtime's copy changes under a deployed function without notice.
  // Left out: undici's SIMD build of its HTTP parser (71 KB). undici tries it first and, when
  // it cannot be loaded, uses the plain build, which is bundled; one parser is enough for a
  // webhook's short answers, and the bundle test's deliveries run through that fallback.
  externalModules: ['*/llhttp_simd-wasm.js'] as string[],
  // The SDK's credential chain and the STS/SSO clients it brings (133 KB of each bundle) give way
  // to its environment-variable provider: without this the forwarder would be over 700 KB.
  alias: { [SDK_CREDENTIAL_CHAIN]: LAMBDA_CREDENTIALS } as Record<string, string>,
  // Prefer ES module builds so esbuild can drop the unused parts of the SDK.
  mainFields: ['module', 'main'],
} as const;

/** Runtime environment every function gets so stack traces point into the TypeScript sources. */
export const SOURCE_MAP_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;

/** The settings as NodejsFunction takes them (the same for both functions). */
export function lambdaBundling(): BundlingOptions {
  return {
    target: BUNDLE_SETTINGS.target,
    format: OutputFormat.CJS,
    minify: BUNDLE_SETTINGS.minify,
    sourceMap: BUNDLE_SETTINGS.sourceMap,
    sourcesContent: BUNDLE_SETTINGS.sourcesContent,
    externalModules: [...BUNDLE_SETTINGS.externalModules],
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    esbuildArgs: { '--alias': Object.entries(BUNDLE_SETTINGS.alias).map(([from, to]) => `${from}=${to}`) },
  };
}

/** The same settings as esbuild's JS API takes them (what NodejsFunction passes on its command line). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLE_SETTINGS.target,
    minify: BUNDLE_SETTINGS.minify,
    sourcemap: BUNDLE_SETTINGS.sourceMap,
    sourcesContent: BUNDLE_SETTINGS.sourcesContent,
    external: [...BUNDLE_SETTINGS.externalModules],
    alias: { ...BUNDLE_SETTINGS.alias },
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    logLevel: 'warning',
  };
}
