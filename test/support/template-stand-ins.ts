import { Intrinsics, type CfnTemplate } from '../infra/support';

/**
 * The synthesized template evaluated as CloudFormation would deploy it, with a made-up but
 * well-formed physical value for every resource: each resource is named `<stack>-<logicalId>`
 * and its Ref and attributes (Arn, QueueUrl…) are what AWS gives that type, in the given region
 * and account. `overrides` replaces any of them with the value the test's local server uses
 * (a queue's URL on the local SQS, say). Works from whatever the template holds: a resource
 * added to the stack gets a stand-in without a change here.
 */
export interface StandInOptions {
  stackName: string;
  region: string;
  account: string;
  parameters: Record<string, string>;
  /** `LogicalId` (its Ref) or `LogicalId.Attribute` (its Fn::GetAtt) → the value to use instead. */
  overrides?: Record<string, string>;
}

const NO_VALUE = '\u0000AWS::NoValue';

export class TemplateStandIns {
  private readonly intrinsics: Intrinsics;

  constructor(
    readonly json: CfnTemplate,
    private readonly options: StandInOptions,
  ) {
    const lookup = new Proxy<Record<string, string>>(
      {},
      {
        get: (_target, name) => (typeof name === 'string' ? this.standIn(name) : undefined),
      },
    );
    this.intrinsics = new Intrinsics(json, options.parameters, lookup);
  }

  /** `value` with every intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::If, conditions) evaluated. */
  resolve(value: unknown): unknown {
    return dropNoValue(this.intrinsics.evaluate(subToJoin(value)));
  }

  /** Whether a template condition holds for these parameters. */
  condition(name: string): boolean {
    return this.intrinsics.condition(name);
  }

  /** The physical name of a resource: what CloudFormation would generate, made predictable. */
  nameOf(logicalId: string): string {
    return `${this.options.stackName}-${logicalId}`;
  }

  /** A pseudo parameter, a resource's Ref (`Id`) or one of its attributes (`Id.Attribute`). */
  standIn(name: string): string {
    const { overrides = {}, region, account, stackName } = this.options;
    const override = overrides[name];
    if (override !== undefined) return override;
    const pseudo: Record<string, string> = {
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/local`,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': NO_VALUE,
    };
    if (name in pseudo) return pseudo[name]!;
    const [logicalId, attribute = 'Ref'] = name.split(/\.(.*)/s) as [string, string?];
    const resource = this.json.Resources[logicalId];
    if (resource === undefined) throw new Error(`the template has no resource ${logicalId} (asked for ${name})`);
    const value = physical(resource.Type, this.nameOf(logicalId), region, account)[attribute];
    if (value !== undefined) return value;
    // Attributes no test reads yet (an alarm's Arn…): unique and recognisable.
    return `${this.nameOf(logicalId)}.${attribute}`;
  }
}

/** What AWS returns for Ref and the common attributes of each type this stack uses. */
function physical(type: string, name: string, region: string, account: string): Record<string, string> {
  const arn = (service: string, rest: string): string => `arn:aws:${service}:${region}:${account}:${rest}`;
  switch (type) {
    case 'AWS::DynamoDB::Table':
      return { Ref: name, Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/local`) };
    case 'AWS::SQS::Queue': {
      const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
      return { Ref: url, QueueUrl: url, Arn: arn('sqs', name), QueueName: name };
    }
    case 'AWS::SecretsManager::Secret':
      // Secrets Manager appends six random characters to a secret's name in its ARN.
      return { Ref: arn('secretsmanager', `secret:${name}-AbCdEf`), Id: arn('secretsmanager', `secret:${name}-AbCdEf`) };
    case 'AWS::IAM::Role':
      return { Ref: name, Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${name}` };
    case 'AWS::Lambda::Function':
      return { Ref: name, Arn: arn('lambda', `function:${name}`) };
    case 'AWS::Logs::LogGroup':
      return { Ref: name, Arn: arn('logs', `log-group:${name}:*`) };
    case 'AWS::SNS::Topic':
      return { Ref: arn('sns', name), TopicArn: arn('sns', name), TopicName: name };
    case 'AWS::KMS::Key':
      return { Ref: name, KeyId: name, Arn: arn('kms', `key/${name}`) };
    default: {
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return { Ref: name, Arn: arn(service, name) };
    }
  }
}

/** Fn::Sub as the equivalent Fn::Join: `${Name}` is a Ref, `${Name.Attr}` a GetAtt, `${!x}` the text `${x}`. */
function subToJoin(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(subToJoin);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0] === 'Fn::Sub') {
    const arg = entries[0]![1];
    const [text, variables = {}] = (typeof arg === 'string' ? [arg] : arg) as [string, Record<string, unknown>?];
    const parts: unknown[] = [];
    let last = 0;
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      parts.push(text.slice(last, match.index));
      last = match.index + match[0].length;
      const name = match[1]!;
      if (name.startsWith('!')) parts.push(`\${${name.slice(1)}}`);
      else if (name in variables) parts.push(subToJoin(variables[name]));
      else if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attribute] = name.split(/\.(.*)/s) as [string, string];
        parts.push({ 'Fn::GetAtt': [id, attribute] });
      } else parts.push({ Ref: name });
    }
    parts.push(text.slice(last));
    return { 'Fn::Join': ['', parts] };
  }
  return Object.fromEntries(entries.map(([key, child]) => [key, subToJoin(child)]));
}

/** What CloudFormation does with AWS::NoValue: the property or list item is left out. */
function dropNoValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== NO_VALUE).map(dropNoValue);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => child !== NO_VALUE)
      .map(([key, child]) => [key, dropNoValue(child)]),
  );
}
