import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LeadForwarderStack } from '../../infra/stack';

/** Helpers for the infra tests: a synthesized template and small readers over it. */

export const STACK_NAME = 'lead-forwarder-test';

/** Skips esbuild: template tests need the resources, not the bundles. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

export interface Synthesized {
  app: App;
  stack: LeadForwarderStack;
  template: Template;
  json: CfnTemplate;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

export interface CfnParameterSpec {
  Type: string;
  Default?: string | number;
  NoEcho?: boolean;
  AllowedPattern?: string;
  AllowedValues?: string[];
  MinValue?: number;
  MaxValue?: number;
}

export interface CfnTemplate {
  Parameters: Record<string, CfnParameterSpec>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Value: unknown; Condition?: string }>;
  Rules?: Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }>;
}

export function synth(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({ context: { ...SKIP_BUNDLING, ...context } });
  const stack = new LeadForwarderStack(app, STACK_NAME);
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as CfnTemplate };
}

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, resource]) => resource.Type === type);
}

export function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

export function props(resource: CfnResource): Record<string, unknown> {
  return resource.Properties ?? {};
}

export type Environment = Record<string, unknown>;

export function environmentOf(resource: CfnResource): Environment {
  const environment = props(resource).Environment as { Variables?: Environment } | undefined;
  return environment?.Variables ?? {};
}

/** The poller and the forwarder, told apart by the secret each one reads. */
export function functions(json: CfnTemplate): { poller: [string, CfnResource]; forwarder: [string, CfnResource] } {
  const all = resourcesOfType(json, 'AWS::Lambda::Function');
  return {
    poller: only(
      all.filter(([, fn]) => 'TOP_APP_SECRET_ARN' in environmentOf(fn)),
      'poller function',
    ),
    forwarder: only(
      all.filter(([, fn]) => 'WEBHOOKS_SECRET_ARN' in environmentOf(fn)),
      'forwarder function',
    ),
  };
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? (statement.Resource as unknown[]) : [statement.Resource];
}

/** The logical id of a function's role. */
export function roleOf(fn: CfnResource): string {
  const role = props(fn).Role as { 'Fn::GetAtt'?: [string, string] };
  const logicalId = role['Fn::GetAtt']?.[0];
  if (logicalId === undefined) throw new Error('function role is not a role of this stack');
  return logicalId;
}

/** Every statement that applies to a role: its inline policies and every AWS::IAM::Policy attached to it. */
export function statementsOfRole(json: CfnTemplate, roleLogicalId: string): Statement[] {
  const role = json.Resources[roleLogicalId];
  if (role === undefined) throw new Error(`no role ${roleLogicalId}`);
  const inline = ((props(role).Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(props(policy).Roles).includes(JSON.stringify({ Ref: roleLogicalId })))
    .flatMap(([, policy]) => (props(policy).PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

/** True when `value` refers (Ref or GetAtt, anywhere inside) to `logicalId`. */
export function refersTo(value: unknown, logicalId: string): boolean {
  const text = JSON.stringify(value);
  return text.includes(JSON.stringify({ Ref: logicalId })) || text.includes(`"Fn::GetAtt":["${logicalId}"`);
}

/** Every logical id that `value` refers to with Ref. */
export function refsIn(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'Ref' && typeof child === 'string') found.push(child);
        else walk(child);
      }
    }
  };
  walk(value);
  return found;
}

/** What the IAM engine does with StringLike: `*` matches any run of characters, `?` one. */
export function globMatches(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(value);
}

/**
 * True when one of `statements` lets DynamoDB item actions reach the item with partition key
 * `key`: its dynamodb:LeadingKeys patterns (ForAllValues:StringLike) match the key.
 */
export function mayTouchItem(statements: Statement[], key: string): boolean {
  return statements
    .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
    .some((s) => {
      const patterns = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      return Array.isArray(patterns) && (patterns as string[]).some((pattern) => globMatches(pattern, key));
    });
}

/**
 * Evaluates the intrinsics this stack uses (Ref, Fn::If, Fn::Equals, Fn::Not, Condition,
 * Fn::Join, Fn::GetAtt) for given parameter values and stand-ins for resources, the way
 * CloudFormation would at deploy time.
 */
export class Intrinsics {
  constructor(
    private readonly json: CfnTemplate,
    private readonly parameters: Record<string, string>,
    private readonly resources: Record<string, string> = {},
  ) {}

  evaluate(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.evaluate(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined) {
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
          return this.evaluate(this.condition(condition) ? whenTrue : whenFalse);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return parts.map((part) => String(this.evaluate(part))).join(separator);
        }
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = arg as [string, string];
          return this.resource(`${logicalId}.${attribute}`);
        }
        case 'Fn::Equals':
        case 'Fn::Not':
        case 'Condition':
          return this.test(value);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.evaluate(v)]));
  }

  condition(name: string): boolean {
    const expression = this.json.Conditions[name];
    if (expression === undefined) throw new Error(`no condition ${name}`);
    return this.test(expression);
  }

  /** A condition expression (a Conditions entry, a rule's Assert) for these parameters. */
  holds(expression: unknown): boolean {
    return this.test(expression);
  }

  private test(expression: unknown): boolean {
    const [[key, arg]] = Object.entries(expression as Record<string, unknown>) as [[string, unknown]];
    switch (key) {
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return String(this.evaluate(a)) === String(this.evaluate(b));
      }
      case 'Fn::Not':
        return !this.test((arg as [unknown])[0]);
      case 'Fn::And':
        return (arg as unknown[]).every((part) => this.test(part));
      case 'Fn::Or':
        return (arg as unknown[]).some((part) => this.test(part));
      case 'Condition':
        return this.condition(arg as string);
      default:
        throw new Error(`condition function ${key} is not evaluated here`);
    }
  }

  private ref(name: string): string {
    if (name in this.json.Parameters) {
      const given = this.parameters[name];
      if (given !== undefined) return given;
      const fallback = this.json.Parameters[name]!.Default;
      if (fallback === undefined) throw new Error(`parameter ${name} has no value and no default`);
      return String(fallback);
    }
    return this.resource(name);
  }

  private resource(name: string): string {
    const value = this.resources[name];
    if (value === undefined) throw new Error(`no stand-in for ${name}`);
    return value;
  }
}
