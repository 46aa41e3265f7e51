import { Aws, type Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  FUNCTION_ENTRIES,
  HANDLER_EXPORT,
  LOCK_FILE,
  SOURCE_MAP_ENVIRONMENT,
  lambdaBundling,
  type FunctionName,
} from './bundling';
import { OBSERVABILITY_ENV } from '../functions/shared/observability/observability';
import { METRICS_NAMESPACE } from './metrics';

/** Logs carry lead ids and outcomes, never lead contents; a month covers any investigation. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * 256 MB is about 1/7 of a vCPU. At lead rates (people filling in forms) both functions mostly
 * wait on HTTP and AWS calls, and that is enough. Work that is CPU-bound on a full core
 * (test/bench/RESULTS.md: ~18 ms a 100-lead page, ~1.3 ms a delivery, ~250 ms of cold start)
 * stretches about sevenfold here: a large backlog drains at roughly 800 leads/s rather than
 * 1,800. Raise it if backlogs must drain faster; the cost per lead barely changes while the
 * work is CPU-bound.
 */
export const MEMORY_MB = 256;

/**
 * The newest Node.js runtime this aws-cdk-lib offers (cdk-nag's AwsSolutions-L1 holds it to
 * that), on Graviton (cheaper per ms). The bundle targets an older Node (bundling.ts) so that it
 * also runs on the project's own machines; newer runtimes run it as is.
 */
export const RUNTIME = Runtime.NODEJS_24_X;
export const ARCHITECTURE = Architecture.ARM_64;

export interface LeadFunctionProps {
  function: FunctionName;
  description: string;
  timeout: Duration;
  /** Settings only: names, URLs and secret ARNs. Never a secret value. */
  environment: Record<string, string>;
  reservedConcurrentExecutions?: number;
}

/**
 * A function of this stack: the shared bundling, runtime and metrics settings, its own log
 * group with a retention, and its own role that starts with nothing but writing to that log
 * group; each caller grants exactly what its function needs.
 */
export class LeadFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LeadFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: LOG_RETENTION });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${id})`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: FUNCTION_ENTRIES[props.function],
      handler: HANDLER_EXPORT,
      depsLockFilePath: LOCK_FILE,
      description: props.description,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: MEMORY_MB,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      bundling: lambdaBundling(props.function),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      environment: {
        ...SOURCE_MAP_ENVIRONMENT,
        // The stack name: several stacks in one account keep their metrics apart.
        [OBSERVABILITY_ENV.service]: Aws.STACK_NAME,
        [OBSERVABILITY_ENV.namespace]: METRICS_NAMESPACE,
        ...props.environment,
      },
    });
  }
}
