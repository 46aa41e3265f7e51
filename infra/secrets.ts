import { Fn, SecretValue, Validations, type CfnParameter, type CfnResource } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement, type Grant, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { LeadForwarderParameters } from './parameters';
import { SECRET_LINE_BREAK, SECRET_LINE_MARK } from '../functions/shared/config/stack-contract';

/** The function's metadata key that makes it wait for the mobile key's policy (see grantReadMobilePrivateKey). */
export const MOBILE_KEY_POLICY_METADATA = 'WaitsForMobileKeyPolicy';

/** One value of a secret that holds several, one per line (SECRET_LINE_MARK): what a function is told and granted. */
export class SecretLine {
  constructor(
    readonly secret: Secret,
    readonly line: number,
  ) {}

  /** `<arn>#<line>`: what readSecret (functions/shared/aws/secrets.ts) reads the value from. */
  get secretArn(): string {
    return `${this.secret.secretArn}${SECRET_LINE_MARK}${this.line}`;
  }

  grantRead(grantee: IGrantable): Grant {
    return this.secret.grantRead(grantee);
  }
}

/**
 * Secrets Manager secrets holding the secret parameters' raw values (a PEM or a JSON array is
 * stored as is, never escaped into another JSON document). The poller's two, the TOP app secret
 * and session key, share one secret, a line each ($0.40 a month less; both are `\S+`, so the
 * line break cannot occur inside either); Webhooks and the mobile key have one each. Each
 * function is granted only the secrets it uses; functions get ARNs in their environment, never values.
 */
export class ParameterSecrets extends Construct {
  /** The poller's: TopAppSecret on line 0, TopSessionKey on line 1. */
  readonly topCredentials: Secret;
  readonly topAppSecret: SecretLine;
  readonly topSessionKey: SecretLine;
  /** Exists only when the operator keeps no secret of their own (condition UsesStackWebhooksSecret). */
  readonly webhooks: Secret;
  /** Exists only when MobilePrivateKey is set (condition HasMobilePrivateKey). */
  readonly mobilePrivateKey: Secret;
  private readonly parameters: LeadForwarderParameters;

  constructor(scope: Construct, id: string, parameters: LeadForwarderParameters) {
    super(scope, id);
    this.parameters = parameters;
    this.topCredentials = this.secret(
      'TopCredentials',
      new SecretValue(
        Fn.join(SECRET_LINE_BREAK, [parameters.topAppSecret.valueAsString, parameters.topSessionKey.valueAsString]),
      ),
      `TOP app secret and the merchant's session key, one per line (poller); values of the stack parameters ${parameters.topAppSecret.logicalId} and ${parameters.topSessionKey.logicalId}`,
    );
    this.topAppSecret = new SecretLine(this.topCredentials, 0);
    this.topSessionKey = new SecretLine(this.topCredentials, 1);
    this.webhooks = this.secretOf('Webhooks', parameters.webhooks, 'Webhook endpoints, JSON array (forwarder)');
    (this.webhooks.node.defaultChild as CfnResource).cfnOptions.condition = parameters.usesStackWebhooksSecret;
    this.mobilePrivateKey = this.secretOf(
      'MobilePrivateKey',
      parameters.mobilePrivateKey,
      'PEM key that decrypts lead mobiles (forwarder)',
    );
    (this.mobilePrivateKey.node.defaultChild as CfnResource).cfnOptions.condition = parameters.hasMobilePrivateKey;
    Validations.of(this.mobilePrivateKey).acknowledge({
      id: 'CloudFormation-Validate::W1030',
      reason:
        'The parameter\'s empty default means "no key": the secret then does not exist (condition HasMobilePrivateKey), so it never holds an empty string.',
    });
  }

  /** The secret the forwarder reads the Webhooks value from: the stack's own, or the operator's (ExternalWebhooksSecretArn). */
  get webhooksArn(): string {
    return Fn.conditionIf(
      this.parameters.usesStackWebhooksSecret.logicalId,
      this.webhooks.secretArn,
      this.parameters.externalWebhooksSecretArn.valueAsString,
    ).toString();
  }

  /** Lets `role` read the Webhooks value wherever it is kept (one statement: its resource exists either way). */
  grantReadWebhooks(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.webhooksArn],
      }),
    );
  }

  /** The mobile key's ARN, or '' when the parameter is empty and the secret does not exist. */
  get mobilePrivateKeyArnOrEmpty(): string {
    return Fn.conditionIf(this.parameters.hasMobilePrivateKey.logicalId, this.mobilePrivateKey.secretArn, '').toString();
  }

  /**
   * Lets `role` read the mobile key. A separate policy that carries the secret's condition: a
   * statement in the role's default policy would name a resource that may not exist.
   * `dependent` (the function) is created after the policy when it exists, so the queue trigger
   * does not start a batch that the key read then refuses. `DependsOn` cannot name a resource
   * whose condition may be false; a Ref under the same condition in its metadata can.
   */
  grantReadMobilePrivateKey(role: IRole, dependent: CfnResource): void {
    const policy = new Policy(this, 'ReadMobilePrivateKey', {
      roles: [role],
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [this.mobilePrivateKey.secretArn],
        }),
      ],
    });
    const cfnPolicy = policy.node.defaultChild as CfnResource;
    cfnPolicy.cfnOptions.condition = this.parameters.hasMobilePrivateKey;
    dependent.addMetadata(
      MOBILE_KEY_POLICY_METADATA,
      Fn.conditionIf(this.parameters.hasMobilePrivateKey.logicalId, cfnPolicy.ref, ''),
    );
  }

  private secretOf(id: string, parameter: CfnParameter, description: string): Secret {
    return this.secret(
      id,
      SecretValue.cfnParameter(parameter),
      `${description}; value of the stack parameter ${parameter.logicalId}`,
    );
  }

  private secret(id: string, value: SecretValue, description: string): Secret {
    const secret = new Secret(this, id, { description, secretStringValue: value });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is issued by a third party (Alimama / the merchant / the webhook receiver), so Secrets Manager cannot rotate it; ' +
        'it is rotated by updating the stack parameter (README: rotating a secret).',
    });
    return secret;
  }
}
