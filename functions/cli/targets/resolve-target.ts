import { UsageError } from '../errors';
import { stateDirFlag } from '../flags';
import { awsTarget } from './aws-target';
import { localTarget } from './local-target';
import type { Target } from './target';

export interface TargetFlags {
  'state-dir'?: string;
  stack?: string;
  region?: string;
  config?: string;
}

/** The target the flags name; contradictory flags are a UsageError. */
export async function resolveTarget(command: string, flags: TargetFlags): Promise<Target> {
  if (flags.stack !== undefined) {
    if (flags['state-dir'] !== undefined)
      throw new UsageError('--stack and --state-dir name two different places: pass one', command);
    if (flags.config !== undefined)
      throw new UsageError('--config applies to local state; a stack keeps its configuration in its parameters', command);
    return awsTarget(flags.stack, flags.region);
  }
  if (flags.region !== undefined) throw new UsageError('--region goes with --stack NAME', command);
  return localTarget(stateDirFlag(command, flags['state-dir']), flags.config);
}
