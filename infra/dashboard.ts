import { Aws, Duration, type CfnCondition, type CfnResource } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, Stats, TextWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ENDPOINT_METRICS,
  FORWARDER_METRICS,
  OPERATOR_METRICS,
  POLLER_METRICS,
  perEndpointSearch,
  serviceMetric,
} from './metrics';

/** One graph point per five minutes: fine enough to see a poll cycle's effect, cheap to render. */
export const DASHBOARD_PERIOD = Duration.minutes(5);
const WIDTH = 12; // two graphs per row (the grid is 24 wide)
const HEIGHT = 6;

export interface DashboardProps {
  /** The dashboard exists only when this holds (the Monitoring parameter's `full`). */
  condition: CfnCondition;
  leads: Queue;
  deadLetters: Queue;
  poller: IFunction;
  forwarder: IFunction;
}

/** The pipeline at a glance: leads in, leads out per endpoint, what is waiting, how fast. */
export class LeadForwarderDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { condition, leads, deadLetters, poller, forwarder } = props;
    const sum = (name: string): IMetric => serviceMetric(name, { period: DASHBOARD_PERIOD, label: name });
    const perEndpoint = (name: string, statistic: string, label: string): IMetric =>
      new MathExpression({
        expression: perEndpointSearch(name, statistic, DASHBOARD_PERIOD),
        label,
        period: DASHBOARD_PERIOD,
        usingMetrics: {},
      });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: Aws.STACK_NAME });
    (this.dashboard.node.defaultChild as CfnResource).cfnOptions.condition = condition;
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Lead forwarder ${Aws.STACK_NAME}\nLeads pulled from Alimama, queued, and delivered to each webhook endpoint. Alarms go to the stack's SNS topic.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Leads pulled (per 5 min)',
        left: [POLLER_METRICS.leadsFetched, POLLER_METRICS.leadsEnqueued, POLLER_METRICS.leadsRejected].map(sum),
        right: [
          // Lambda's own count of polls (free); a poll publishes nothing of its own when idle.
          poller.metricInvocations({ period: DASHBOARD_PERIOD, statistic: Stats.SUM, label: 'Polls (invocations)' }),
          ...[POLLER_METRICS.pollFailed, POLLER_METRICS.topAuthFailure, POLLER_METRICS.topRateLimited].map(sum),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new GraphWidget({
        title: 'Delivered and skipped (filter) per endpoint (per 5 min)',
        left: [
          perEndpoint(ENDPOINT_METRICS.delivered, Stats.SUM, 'Delivered'),
          perEndpoint(ENDPOINT_METRICS.deliverySkipped, Stats.SUM, 'Skipped'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Failed deliveries per endpoint (per 5 min)',
        left: [
          perEndpoint(ENDPOINT_METRICS.deliveryRetried, Stats.SUM, 'Retried'),
          perEndpoint(ENDPOINT_METRICS.deliveryRejected, Stats.SUM, 'Rejected'),
        ],
        right: [
          FORWARDER_METRICS.endpointGone,
          FORWARDER_METRICS.deliveryDeadLettered,
          FORWARDER_METRICS.malformedMessages,
          FORWARDER_METRICS.mobileDecryptFailed,
          OPERATOR_METRICS.needsOperator,
        ].map(sum),
        width: WIDTH,
        height: HEIGHT,
      }),
      new GraphWidget({
        title: 'Delivery latency per endpoint (ms, p50 / p99)',
        left: [
          perEndpoint(ENDPOINT_METRICS.deliveryLatencyMs, Stats.p(50), 'p50'),
          perEndpoint(ENDPOINT_METRICS.deliveryLatencyMs, Stats.p(99), 'p99'),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    // Lead age at delivery (DESIGN §8): how fresh a lead is when its endpoint accepts it.
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Lead age at delivery per endpoint (s, p50 / p95)',
        left: [
          perEndpoint(ENDPOINT_METRICS.leadAgeSeconds, Stats.p(50), 'p50'),
          perEndpoint(ENDPOINT_METRICS.leadAgeSeconds, Stats.p(95), 'p95'),
        ],
        width: 24,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Queue depth',
        left: [
          leads.metricApproximateNumberOfMessagesVisible({
            period: DASHBOARD_PERIOD,
            statistic: Stats.MAXIMUM,
            label: 'Leads waiting',
          }),
          leads.metricApproximateNumberOfMessagesNotVisible({
            period: DASHBOARD_PERIOD,
            statistic: Stats.MAXIMUM,
            label: 'Leads in delivery / backing off',
          }),
          deadLetters.metricApproximateNumberOfMessagesVisible({
            period: DASHBOARD_PERIOD,
            statistic: Stats.MAXIMUM,
            label: 'Dead letters',
          }),
        ],
        right: [
          leads.metricApproximateAgeOfOldestMessage({
            period: DASHBOARD_PERIOD,
            statistic: Stats.MAXIMUM,
            label: 'Oldest lead waiting (s)',
          }),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new GraphWidget({
        // The poller's Lambda Duration (free; a poll is one invocation). The cursor lag is
        // published only by a poll that ended behind the cursor: no line means it is current.
        title: 'Poll duration (ms) and cursor lag behind (s)',
        left: [
          poller.metricDuration({ period: DASHBOARD_PERIOD, statistic: Stats.AVERAGE, label: 'Poll duration avg' }),
          poller.metricDuration({ period: DASHBOARD_PERIOD, statistic: Stats.MAXIMUM, label: 'Poll duration max' }),
        ],
        right: [
          serviceMetric(POLLER_METRICS.cursorLagSeconds, {
            period: DASHBOARD_PERIOD,
            statistic: Stats.MAXIMUM,
            label: 'Cursor lag max',
          }),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors and throttles',
        left: [
          poller.metricErrors({ period: DASHBOARD_PERIOD, label: 'Poller errors' }),
          forwarder.metricErrors({ period: DASHBOARD_PERIOD, label: 'Forwarder errors' }),
          poller.metricThrottles({ period: DASHBOARD_PERIOD, label: 'Poller throttles' }),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
      new GraphWidget({
        title: 'Function duration (ms, max)',
        left: [
          poller.metricDuration({ period: DASHBOARD_PERIOD, statistic: Stats.MAXIMUM, label: 'Poller' }),
          forwarder.metricDuration({ period: DASHBOARD_PERIOD, statistic: Stats.MAXIMUM, label: 'Forwarder' }),
        ],
        width: WIDTH,
        height: HEIGHT,
      }),
    );
  }

  /** The console address of the dashboard. */
  get url(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
