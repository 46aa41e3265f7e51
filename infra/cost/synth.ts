import { App } from 'aws-cdk-lib';
import { LeadForwarderStack } from '../stack';
import type { CfnTemplate } from './template';

/** The stack's template, synthesized in process. */
export function synthesizedTemplate(): CfnTemplate {
  // Neither bundles nor validation (cdk-nag and CloudFormation's checks run in test/infra): only the template counts.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new LeadForwarderStack(app, 'alimama-lead-forwarder');
  return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
}
