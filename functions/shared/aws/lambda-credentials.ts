import { LeadForwarderError } from '../domain/errors';

/**
 * The credential provider of the deployed functions, in place of the AWS SDK's default chain:
 * infra/bundling.ts points `@aws-sdk/credential-provider-node` here when it bundles them. Lambda
 * hands a function its execution role's credentials in environment variables; the chain's other
 * sources (profiles, SSO, web identity, container and instance metadata) and the STS and SSO
 * clients they bring are a third of each bundle and unused there. Local runs are not bundled and
 * keep the whole chain.
 */

export const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

export class LambdaCredentialsError extends LeadForwarderError {
  override readonly name: string = 'LambdaCredentialsError';
}

/** What the SDK takes from a credential provider. */
export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The SDK calls this (as it would the default chain) with its client config, which is not needed. */
export function defaultProvider(): () => Promise<EnvironmentCredentials> {
  // A function that rejects, as the SDK expects of a provider, when a variable is missing.
  return () => new Promise((resolve) => resolve(credentialsFromEnvironment(process.env)));
}

export function credentialsFromEnvironment(env: Record<string, string | undefined>): EnvironmentCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId === undefined || accessKeyId === '' || secretAccessKey === undefined || secretAccessKey === '') {
    throw new LambdaCredentialsError(
      `no AWS credentials: the deployed functions read them from ${CREDENTIAL_VARIABLES.join(' and ')}, which Lambda sets from the execution role; ` +
        'this build does not read profiles, SSO or instance metadata',
    );
  }
  // No expiration: Lambda's credentials last as long as the execution environment.
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}
