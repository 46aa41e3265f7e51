import { App, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { LeadForwarderStack } from '../../infra/stack';
import { SKIP_BUNDLING, STACK_NAME } from './support';

/** Rules that report one finding per offending item: they must be acknowledged per finding. */
const PER_FINDING_RULES = /AwsSolutions-IAM[45]\b/;

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason })),
        ),
    );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged (synth throws on any finding)', () => {
    const app = new App({ context: SKIP_BUNDLING });
    new LeadForwarderStack(app, STACK_NAME);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('does fail synth on a finding (so the check above is not vacuous)', () => {
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new LeadForwarderStack(app, STACK_NAME);
    new Queue(stack, 'UnencryptedWithoutDlq', { encryption: QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });

  it('has every acknowledgement explained, and wildcard findings acknowledged one by one', () => {
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new LeadForwarderStack(app, STACK_NAME);
    const found = acknowledgements(stack);
    expect(found.length).toBeGreaterThan(0);
    for (const { id, reason } of found) {
      expect(reason.trim().length).toBeGreaterThanOrEqual(40);
      if (PER_FINDING_RULES.test(id)) expect(id).toMatch(/\[(Resource|Action|Policy)::.+\]$/);
    }
  });
});
