/**
 * The credential provider of the deployed functions, in place of the AWS SDK's default chain:
 * infra/bundling.ts points `@aws-sdk/credential-provider-node` here when it bundles them. This is
 * the chain's first link alone, the SDK's own `fromEnv`: Lambda hands a function its execution
 * role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. The
 * chain's other sources (profiles, SSO, web identity, container and instance metadata) and the
 * STS and SSO clients they bring are unused there and weigh 133 KB in each bundle. Local runs are
 * not bundled and keep the whole chain.
 *
 * The SDK's clients call it as they call the chain's `defaultProvider`, with their config (whose
 * logger fromEnv uses); the provider reads the variables on each call.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
