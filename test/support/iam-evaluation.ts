import { runSimulation, type EvaluationResult, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import type { CfnResource } from '../infra/support';
import { describeRequest, type IamRequest } from './iam-requests';
import type { TemplateStandIns } from './template-stand-ins';

/**
 * IAM's decision on requests, by an IAM policy simulator (@cloud-copilot/iam-simulate: identity
 * and resource policies, every condition operator), over the policies a synthesized template
 * attaches to a role, evaluated with the template's stand-ins (template-stand-ins.ts).
 */
export interface PolicyDocument {
  Version?: string;
  Statement: unknown[];
}

/** Who makes requests, and the identity policies that apply to them. */
export interface Principal {
  /** For messages: `poller`, `operator`… */
  name: string;
  arn: string;
  policies: SimulationIdentityPolicy[];
}

/** 'Allowed', 'ExplicitlyDenied' or 'ImplicitlyDenied'. */
export type Decision = EvaluationResult;

export interface Verdict {
  principal: string;
  request: IamRequest;
  decision: Decision;
}

/**
 * The policies that apply to a role of the template: its inline Policies and every
 * AWS::IAM::Policy or AWS::IAM::ManagedPolicy that names it, those under a condition only
 * when the condition holds. A managed policy attached by ARN (an AWS managed one) cannot be read
 * here: that is an error, not a silent gap.
 */
export function principalOfRole(name: string, standIns: TemplateStandIns, roleLogicalId: string): Principal {
  const { json } = standIns;
  const role = json.Resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role of the template`);
  const applies = (resource: CfnResource): boolean => resource.Condition === undefined || standIns.condition(resource.Condition);
  const roleProps = standIns.resolve(role.Properties ?? {}) as {
    Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
    ManagedPolicyArns?: string[];
  };
  const attached = Object.entries(json.Resources).filter(
    ([, resource]) =>
      (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
      applies(resource) &&
      JSON.stringify(resource.Properties?.Roles ?? []).includes(JSON.stringify({ Ref: roleLogicalId })),
  );
  const ownManaged = new Set(attached.map(([id]) => standIns.standIn(id)));
  const foreign = (roleProps.ManagedPolicyArns ?? []).filter((arn) => !ownManaged.has(arn));
  if (foreign.length > 0)
    throw new Error(`role ${roleLogicalId} has managed policies this test cannot read: ${foreign.join(', ')}`);
  return {
    name,
    arn: standIns.standIn(`${roleLogicalId}.Arn`),
    policies: [
      ...(roleProps.Policies ?? []).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
      ...attached.map(([id, resource]) => ({ name: id, policy: standIns.resolve(resource.Properties?.PolicyDocument) })),
    ],
  };
}

/** A principal whose policy is given as a document (the operator's, from the README). */
export function principalWithPolicy(name: string, arn: string, policy: PolicyDocument): Principal {
  return { name, arn, policies: [{ name, policy }] };
}

/** The template's resource policies (queue policies, secret policies) by the ARN of the resource they guard. */
export function resourcePoliciesOf(standIns: TemplateStandIns): Map<string, PolicyDocument> {
  const found = new Map<string, PolicyDocument>();
  const add = (arn: string, document: PolicyDocument): void => {
    const known = found.get(arn);
    found.set(arn, known === undefined ? document : { ...known, Statement: [...known.Statement, ...document.Statement] });
  };
  for (const [, resource] of Object.entries(standIns.json.Resources)) {
    if (resource.Condition !== undefined && !standIns.condition(resource.Condition)) continue;
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::SQS::QueuePolicy') {
      // Queues are named by URL; a policy applies to the queue's ARN.
      for (const queue of props.Queues as { Ref?: string }[]) {
        if (queue.Ref === undefined) throw new Error(`a queue policy names a queue other than by Ref: ${JSON.stringify(queue)}`);
        add(standIns.standIn(`${queue.Ref}.Arn`), standIns.resolve(props.PolicyDocument) as PolicyDocument);
      }
    } else if (resource.Type === 'AWS::SecretsManager::ResourcePolicy') {
      add(String(standIns.resolve(props.SecretId)), standIns.resolve(props.ResourcePolicy) as PolicyDocument);
    }
  }
  return found;
}

/** IAM's decision on one request; a request or policy the simulator finds invalid is an error, with its reasons. */
export async function decide(
  principal: Principal,
  request: IamRequest,
  resourcePolicies: ReadonlyMap<string, PolicyDocument> = new Map(),
): Promise<Verdict> {
  const account = request.resource.split(':')[4] || principal.arn.split(':')[4]!;
  const result = await runSimulation(
    {
      identityPolicies: principal.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicies.get(request.resource),
      request: {
        principal: principal.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: account },
        contextVariables: request.context,
      },
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`cannot simulate ${principal.name}: ${describeRequest(request)}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`${describeRequest(request)} names more than one resource`);
  // A condition key the simulator drops for this action would make ForAllValues conditions
  // vacuously true: a request with one must say so.
  const ignored = result.result.ignoredContextKeys ?? [];
  if (ignored.length > 0)
    throw new Error(`${describeRequest(request)}: context keys ${ignored.join(', ')} do not apply to the action`);
  return { principal: principal.name, request, decision: result.overallResult };
}

/** One line per verdict, for a failure message that names the call. */
export function describeVerdicts(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `${v.principal}: ${describeRequest(v.request)} → ${v.decision}`).join('\n');
}
