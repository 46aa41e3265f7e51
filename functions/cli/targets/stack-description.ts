import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { OperatorError } from '../errors';

/** The stack outputs the operator commands read (infra/stack.ts). */
export const REQUIRED_OUTPUTS = [
  'StackName',
  'StateTableName',
  'LeadsQueueUrl',
  'LeadsQueueArn',
  'DeadLetterQueueUrl',
  'DeadLetterQueueArn',
  'WebhooksSecretArn',
  'TopAppSecretArn',
  'TopSessionKeyArn',
  'TopAppKey',
] as const;
export type StackOutputs = Record<(typeof REQUIRED_OUTPUTS)[number], string>;
/** An output the stack has only when the MobilePrivateKey parameter is set. */
export const MOBILE_KEY_OUTPUT = 'MobilePrivateKeySecretArn';

export interface StackDescription {
  name: string;
  region: string;
  outputs: StackOutputs;
  /** Every output, the optional ones included. */
  allOutputs: Record<string, string>;
  /** Parameter values (NoEcho ones come back masked). */
  parameters: Record<string, string>;
}

/** Reads a stack's outputs and parameters; a missing stack or output is an OperatorError saying what to do. */
export async function describeStack(cfn: CloudFormationClient, name: string, region: string): Promise<StackDescription> {
  let stack;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/does not exist/i.test(message))
      throw new OperatorError(`stack ${name} was not found in ${region}: check --stack and --region`, { cause: error });
    throw new OperatorError(`cannot read stack ${name} in ${region}: ${message} (are AWS credentials set, e.g. AWS_PROFILE?)`, {
      cause: error,
    });
  }
  if (stack === undefined) throw new OperatorError(`stack ${name} was not found in ${region}: check --stack and --region`);
  const allOutputs: Record<string, string> = {};
  for (const output of stack.Outputs ?? [])
    if (output.OutputKey !== undefined && output.OutputValue !== undefined) allOutputs[output.OutputKey] = output.OutputValue;
  const missing = REQUIRED_OUTPUTS.filter((key) => allOutputs[key] === undefined);
  if (missing.length > 0)
    throw new OperatorError(
      `stack ${name} has no output ${missing.join(', ')}: deploy the current version of the stack (npx cdk deploy)`,
    );
  const parameters: Record<string, string> = {};
  for (const parameter of stack.Parameters ?? [])
    if (parameter.ParameterKey !== undefined && parameter.ParameterValue !== undefined)
      parameters[parameter.ParameterKey] = parameter.ParameterValue;
  const outputs = Object.fromEntries(REQUIRED_OUTPUTS.map((key) => [key, allOutputs[key]!])) as StackOutputs;
  return { name, region, outputs, allOutputs, parameters };
}
