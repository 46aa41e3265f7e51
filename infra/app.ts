import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LeadForwarderStack } from './stack';

/**
 * The CDK app. One stack per merchant source; deploy another with `-c stackName=<name>`:
 * every resource name, metric dimension and the dashboard derive from the stack name.
 */
const DEFAULT_STACK_NAME = 'alimama-lead-forwarder';

const app = new App();
const stackName = app.node.tryGetContext('stackName') as unknown;
new LeadForwarderStack(app, typeof stackName === 'string' && stackName !== '' ? stackName : DEFAULT_STACK_NAME);
// AWS Solutions checks: every unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
