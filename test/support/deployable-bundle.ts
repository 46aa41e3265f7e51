import { build, type BuildOptions, type BuildResult } from 'esbuild';
import { esbuildOptions, FUNCTION_ENTRIES, type FunctionName } from '../../infra/bundling';

/**
 * What NodejsFunction puts in a function's asset: the bundle, built with the stack's esbuild
 * settings (through the JS API, as the CDK passes them on its command line).
 */
export async function buildDeployable(
  fn: FunctionName,
  outfile: string,
  extra: Pick<BuildOptions, 'external'> = {},
): Promise<BuildResult<{ metafile: true }>> {
  // A metafile for the benchmarks' size breakdown; it does not change the output.
  return build({ ...esbuildOptions(FUNCTION_ENTRIES[fn], outfile), ...extra, metafile: true });
}
