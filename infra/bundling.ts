import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * The one esbuild configuration of both functions. The stack hands it to NodejsFunction and
 * test/infra/bundle.test.ts hands the same values to esbuild's JS API (and runs the same
 * after-bundling command), so the bundle the tests run is the bundle that deploys: one `index.js`
 * (and its map) per function, and beside the forwarder's the side module below. esbuild is a
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

/**
 * node-forge's PKCS#1 v1.5 decryption, built as a file of its own beside the forwarder's bundle:
 * the bundle keeps `require('./rsa-pkcs1')` as written, and only the first mobile that is not
 * OAEP loads it (functions/shared/mobile/rsa-pkcs1.ts). The poller never decrypts. It is what
 * keeps the forwarder within 700 KB: 731 KB with node-forge inside, 618 KB without. node-forge's
 * 112 KB cannot shrink without stubbing its own modules (its RSA module requires ASN.1, OIDs,
 * prime generation and an AES-based PRNG), jsonata is one prebuilt 81 KB file, and no esbuild
 * setting saves more than 0.3 KB (test/bench/RESULTS.md, session 7).
 */
export const SIDE_MODULE = {
  importPath: './rsa-pkcs1',
  entry: path.join(PROJECT_ROOT, 'functions', 'shared', 'mobile', 'rsa-pkcs1.ts'),
  file: 'rsa-pkcs1.js',
  functions: ['forwarder'] as readonly FunctionName[],
} as const;

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
  // Also left out: SIDE_MODULE, which is a file beside the bundle.
  externalModules: ['*/llhttp_simd-wasm.js', SIDE_MODULE.importPath] as string[],
  // The SDK's credential chain and the STS/SSO clients it brings (133 KB of each bundle) give way
  // to its environment-variable provider: without this the forwarder would be over 700 KB.
  alias: { [SDK_CREDENTIAL_CHAIN]: LAMBDA_CREDENTIALS } as Record<string, string>,
  // Prefer ES module builds so esbuild can drop the unused parts of the SDK.
  mainFields: ['module', 'main'],
} as const;

/** Runtime environment every function gets so stack traces point into the TypeScript sources. */
export const SOURCE_MAP_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;

/** The settings as NodejsFunction takes them, for one function. */
export function lambdaBundling(fn: FunctionName): BundlingOptions {
  return {
    target: BUNDLE_SETTINGS.target,
    format: OutputFormat.CJS,
    minify: BUNDLE_SETTINGS.minify,
    sourceMap: BUNDLE_SETTINGS.sourceMap,
    sourcesContent: BUNDLE_SETTINGS.sourcesContent,
    externalModules: [...BUNDLE_SETTINGS.externalModules],
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    esbuildArgs: { '--alias': Object.entries(BUNDLE_SETTINGS.alias).map(([from, to]) => `${from}=${to}`) },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) =>
        SIDE_MODULE.functions.includes(fn) ? [sideModuleCommand(inputDir, outputDir)] : [],
    },
  };
}

/**
 * The command that builds SIDE_MODULE into a bundle's directory, with the bundle's own settings.
 * NodejsFunction runs it after the forwarder's bundle (local bundling: `inputDir` is this project's root);
 * the bundle test and the benchmarks run it too, so what they load is what deploys.
 */
export function sideModuleCommand(inputDir: string, outputDir: string): string {
  const args = [
    path.join(inputDir, 'node_modules', '.bin', 'esbuild'),
    path.join(inputDir, path.relative(PROJECT_ROOT, SIDE_MODULE.entry)),
    '--bundle',
    '--platform=node',
    '--format=cjs',
    `--target=${BUNDLE_SETTINGS.target}`,
    ...(BUNDLE_SETTINGS.minify ? ['--minify'] : []),
    ...(BUNDLE_SETTINGS.sourceMap ? ['--sourcemap'] : []),
    `--sources-content=${String(BUNDLE_SETTINGS.sourcesContent)}`,
    `--main-fields=${BUNDLE_SETTINGS.mainFields.join(',')}`,
    '--log-level=warning',
    `--outfile=${path.join(outputDir, SIDE_MODULE.file)}`,
  ];
  return args.map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
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
