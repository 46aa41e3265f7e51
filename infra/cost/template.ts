import { LeadForwarderError } from '../../functions/shared/domain/errors';

/**
 * A synthesized CloudFormation template read the way CloudFormation would deploy it for given
 * parameter values: which resources exist (their Condition) and what a property resolves to
 * (Ref to a parameter, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or). A Ref or GetAtt to a
 * resource stays as it is: the cost model only asks which resource it names.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: string | number; AllowedValues?: string[] }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
}

/** The template uses a construct this reader does not evaluate: the estimate would be a guess. */
export class TemplateUnreadableError extends LeadForwarderError {
  override readonly name: string = 'TemplateUnreadableError';
}

export class DeployedTemplate {
  constructor(
    readonly json: CfnTemplate,
    private readonly parameters: Record<string, string>,
  ) {}

  /** The value a parameter takes: the one given, else its default. */
  parameter(name: string): string | undefined {
    const given = this.parameters[name];
    if (given !== undefined) return given;
    const fallback = this.json.Parameters?.[name]?.Default;
    return fallback === undefined ? undefined : String(fallback);
  }

  /** Whether CloudFormation would accept `value` for the parameter (no AllowedValues: any). */
  allows(name: string, value: string): boolean {
    const allowed = this.json.Parameters?.[name]?.AllowedValues;
    return allowed === undefined || allowed.includes(value);
  }

  /** The resources of `type` that exist for these parameter values, by logical id. */
  resources(type: string): [string, CfnResource][] {
    return Object.entries(this.json.Resources).filter(
      ([, resource]) => resource.Type === type && (resource.Condition === undefined || this.condition(resource.Condition)),
    );
  }

  /** A resource's property, resolved. */
  property(resource: CfnResource, name: string): unknown {
    return this.resolve(resource.Properties?.[name]);
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref' && typeof arg === 'string' && this.json.Parameters?.[arg] !== undefined) {
      return this.parameter(arg);
    }
    if (entries.length === 1 && key === 'Fn::If') {
      const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  condition(name: string): boolean {
    const expression = this.json.Conditions?.[name];
    if (expression === undefined) throw new TemplateUnreadableError(`the template has no condition ${name}`);
    return this.test(expression);
  }

  private test(expression: unknown): boolean {
    const [key, arg] = Object.entries(expression as Record<string, unknown>)[0] ?? [];
    switch (key) {
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return JSON.stringify(this.resolve(a)) === JSON.stringify(this.resolve(b));
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
        throw new TemplateUnreadableError(`condition function ${String(key)} is not read here`);
    }
  }
}

/** True when `value` refers (Ref or GetAtt, anywhere inside) to `logicalId`. */
export function refersTo(value: unknown, logicalId: string): boolean {
  const text = JSON.stringify(value) ?? '';
  return text.includes(JSON.stringify({ Ref: logicalId })) || text.includes(`"Fn::GetAtt":["${logicalId}"`);
}
