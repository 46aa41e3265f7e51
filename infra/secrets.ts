import { Fn, SecretValue, Validations, type CfnParameter, type CfnResource } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { LeadForwarderParameters } from './parameters';

/** The function's metadata key that makes it wait for the mobile key's policy (see grantReadMobilePrivateKey). */
export const MOBILE_KEY_POLICY_METADATA = 'WaitsForMobileKeyPolicy';

/**
 * One Secrets Manager secret per secret parameter, holding the parameter's raw value (a PEM or
 * a JSON array is stored as is, never escaped into another JSON document). Each function is
 * granted only the secrets it uses; functions get ARNs in their environment, never values.
 */
export class ParameterSecrets extends Construct {
  readonly topAppSecret: Secret;
  readonly topSessionKey: Secret;
  /** Exists only when the operator keeps no secret of their own (condition UsesStackWebhooksSecret). */
  readonly webhooks: Secret;
  /** Exists only when MobilePrivateKey is set (condition HasMobilePrivateKey). */
  readonly mobilePrivateKey: Secret;
  private readonly parameters: LeadForwarderParameters;

  constructor(scope: Construct, id: string, parameters: LeadForwarderParameters) {
    super(scope, id);
    this.parameters = parameters;
    this.topAppSecret = this.secretOf('TopAppSecret', parameters.topAppSecret, 'TOP app secret (poller)');
    this.topSessionKey = this.secretOf('TopSessionKey', parameters.topSessionKey, 'TOP session key of the merchant (poller)');
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
    const secret = new Secret(this, id, {
      description: `${description}; value of the stack parameter ${parameter.logicalId}`,
      secretStringValue: SecretValue.cfnParameter(parameter),
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is issued by a third party (Alimama / the merchant / the webhook receiver), so Secrets Manager cannot rotate it; ' +
        'it is rotated by updating the stack parameter (README: rotating a secret).',
    });
    return secret;
  }
}
