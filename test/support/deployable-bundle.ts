import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type BuildResult } from 'esbuild';
import { esbuildOptions, sideModuleCommand } from '../../infra/bundling';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * What NodejsFunction puts in a function's asset: the bundle, built with the stack's esbuild
 * settings (through the JS API, as the CDK passes them on its command line), then the stack's
 * own after-bundling command, run as the CDK runs it, for the side module beside it.
 */
export async function buildDeployable(entry: string, outfile: string, extra: Pick<BuildOptions, 'external'> = {}): Promise<BuildResult<{ metafile: true }>> {
  // A metafile for the benchmarks' size breakdown; it does not change the output.
  const result = await build({ ...esbuildOptions(entry, outfile), ...extra, metafile: true });
  await promisify(execFile)('bash', ['-c', sideModuleCommand(PROJECT_ROOT, path.dirname(outfile))], { cwd: PROJECT_ROOT });
  return result;
}
