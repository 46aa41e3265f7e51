import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type BuildResult } from 'esbuild';
import { esbuildOptions, FUNCTION_ENTRIES, lambdaBundling, type FunctionName } from '../../infra/bundling';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * What NodejsFunction puts in a function's asset: the bundle, built with the stack's esbuild
 * settings (through the JS API, as the CDK passes them on its command line), then the stack's
 * own after-bundling commands for that function, run as the CDK runs them.
 */
export async function buildDeployable(
  fn: FunctionName,
  outfile: string,
  extra: Pick<BuildOptions, 'external'> = {},
): Promise<BuildResult<{ metafile: true }>> {
  // A metafile for the benchmarks' size breakdown; it does not change the output.
  const result = await build({ ...esbuildOptions(FUNCTION_ENTRIES[fn], outfile), ...extra, metafile: true });
  for (const command of lambdaBundling(fn).commandHooks?.afterBundling(PROJECT_ROOT, path.dirname(outfile)) ?? []) {
    await promisify(execFile)('bash', ['-c', command], { cwd: PROJECT_ROOT });
  }
  return result;
}
