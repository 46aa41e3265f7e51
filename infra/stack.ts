import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LeadForwarderAlarms } from './alarms';
import { LeadForwarderDashboard } from './dashboard';
import { publishedMetrics } from './metrics';
import { Forwarder, FORWARDER_TIMEOUT } from './forwarder';
import { LeadForwarderParameters } from './parameters';
import { Poller } from './poller';
import { LeadQueues } from './queues';
import { ParameterSecrets } from './secrets';
import { StateTable } from './state-table';
import { OBSERVABILITY_ENV } from '../functions/shared/observability/observability';

/**
 * The lead forwarder (DESIGN): EventBridge Scheduler → poller → SQS leads queue → forwarder →
 * webhooks, with state in DynamoDB, secrets in Secrets Manager, alarms and a dashboard.
 * Configured only by stack parameters (parameters.ts); this file only wires the parts.
 */
export class LeadForwarderStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, {
      description: 'alimama-lead-forwarder: pulls Alimama (taobao.mama.crm.lead.list) leads and forwards each to your webhooks',
      ...props,
    });
    const parameters = new LeadForwarderParameters(this);
    const secrets = new ParameterSecrets(this, 'Secrets', parameters);
    const state = new StateTable(this, 'State');
    const queues = new LeadQueues(this, 'Queues', { forwarderTimeout: FORWARDER_TIMEOUT });
    const poller = new Poller(this, 'Polling', { parameters, secrets, state, leads: queues.leads });
    const forwarder = new Forwarder(this, 'Forwarding', { secrets, state, leads: queues.leads, deadLetters: queues.deadLetters });
    const monitored = {
      leads: queues.leads,
      deadLetters: queues.deadLetters,
      poller: poller.function.fn,
      forwarder: forwarder.function.fn,
    };
    const alarms = new LeadForwarderAlarms(this, 'Alarms', { parameters, ...monitored });
    const dashboard = new LeadForwarderDashboard(this, 'Dashboard', { condition: parameters.fullMonitoring, ...monitored });
    for (const fn of [poller.function.fn, forwarder.function.fn])
      fn.addEnvironment(OBSERVABILITY_ENV.publishedMetrics, publishedMetrics(parameters, alarms.customMetricNames));

    // The operator CLI reads these by stack name.
    const outputs: Record<string, string> = {
      StackName: this.stackName,
      StateTableName: state.table.tableName,
      LeadsQueueUrl: queues.leads.queueUrl,
      LeadsQueueArn: queues.leads.queueArn,
      DeadLetterQueueUrl: queues.deadLetters.queueUrl,
      DeadLetterQueueArn: queues.deadLetters.queueArn,
      // Where the forwarder reads the endpoints: the stack's secret or ExternalWebhooksSecretArn.
      WebhooksSecretArn: secrets.webhooksArn,
      // ARNs, not values: `reset-cursor --to latest --stack` calls TOP with the operator's own rights.
      TopAppSecretArn: secrets.topAppSecret.secretArn,
      TopSessionKeyArn: secrets.topSessionKey.secretArn,
      TopAppKey: parameters.topAppKey.valueAsString,
    };
    // A scope of their own (TopAppKey is also a parameter's construct id); the logical ids are
    // the plain names.
    const outputScope = new Construct(this, 'Outputs');
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(outputScope, name, { value }).overrideLogicalId(name);
    // Only when a key is set (the secret exists only then): `check --stack` validates it
    // (MOBILE_KEY_OUTPUT in functions/cli/targets/stack-description.ts).
    new CfnOutput(outputScope, 'MobilePrivateKeySecretArn', {
      value: secrets.mobilePrivateKey.secretArn,
      condition: parameters.hasMobilePrivateKey,
    }).overrideLogicalId('MobilePrivateKeySecretArn');
    // Only when the dashboard exists (Monitoring=full).
    new CfnOutput(outputScope, 'DashboardUrl', { value: dashboard.url, condition: parameters.fullMonitoring }).overrideLogicalId(
      'DashboardUrl',
    );
  }
}
