import { Aws, Duration, Fn, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, type CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { LeadFunction } from './lead-function';
import type { LeadForwarderParameters } from './parameters';
import type { ParameterSecrets } from './secrets';
import type { StateTable } from './state-table';
import { ENV, KEY_PREFIXES } from '../functions/shared/config/stack-contract';

/**
 * Time budget of one poll. Long enough to page through a backlog and to wait out a short TOP
 * rate-limit ban (DESIGN §1); the scan is resumable, so a longer budget only helps backlogs.
 */
export const POLLER_TIMEOUT = Duration.seconds(90);

/**
 * One poller at a time (DESIGN §2): with the version check on every state write, two
 * invocations can never move the cursor backwards or race on a page.
 */
export const POLLER_CONCURRENCY = 1;

/**
 * A tick that cannot start within a minute (the previous poll still runs) is dropped: the next
 * tick resumes the scan anyway, and retrying a failed poll is the next tick's job too.
 */
export const TICK_MAX_AGE = Duration.minutes(1);
export const TICK_RETRIES = 0;

/**
 * The tick queue (sub-minute schedules, functions/poller/ticks.ts). Its visibility timeout is the
 * poller's timeout (Lambda requires at least that): a tick that Lambda throttles because a poll
 * is running comes back only after it, late, and the poller drops it instead of polling twice.
 * A tick is worth nothing after its minute, so the queue keeps one only briefly and has no DLQ.
 */
export const TICK_QUEUE_RETENTION = Duration.minutes(5);
/** One tick per invocation: each is one poll. */
export const TICK_BATCH_SIZE = 1;
/** The smallest maximum concurrency Lambda allows for an SQS trigger; reserved concurrency 1 still runs one poll at a time. */
export const TICK_MAX_CONCURRENCY = 2;

export interface PollerProps {
  parameters: LeadForwarderParameters;
  secrets: ParameterSecrets;
  state: StateTable;
  leads: Queue;
}

/** The poller Lambda and its schedule: pulls new leads from TOP and enqueues one message per lead. */
export class Poller extends Construct {
  readonly function: LeadFunction;
  readonly schedule: Schedule;
  readonly ticks: Queue;

  constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    const { parameters, secrets, state, leads } = props;
    this.ticks = new Queue(this, 'Ticks', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: TICK_QUEUE_RETENTION,
      visibilityTimeout: POLLER_TIMEOUT,
    });
    Validations.of(this.ticks).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The tick queue holds disposable poll requests (a tick not handled within its minute is dropped by design): a DLQ would only collect ticks nobody should replay.',
    });
    this.function = new LeadFunction(this, 'Poller', {
      function: 'poller',
      description: 'Pulls new Alimama leads past the cursor and enqueues one message per lead',
      timeout: POLLER_TIMEOUT,
      reservedConcurrentExecutions: POLLER_CONCURRENCY,
      environment: {
        [ENV.stateTable]: state.table.tableName,
        [ENV.leadsQueueUrl]: leads.queueUrl,
        [ENV.topAppKey]: parameters.topAppKey.valueAsString,
        [ENV.topGatewayUrl]: parameters.topGatewayUrl.valueAsString,
        [ENV.topSignMethod]: parameters.topSignMethod.valueAsString,
        [ENV.pageSize]: parameters.pageSize.valueAsString,
        [ENV.startFrom]: parameters.startFrom.valueAsString,
        [ENV.pollIntervalSeconds]: parameters.pollIntervalSeconds,
        [ENV.tickQueueUrl]: this.ticks.queueUrl,
        [ENV.topAppSecretArn]: secrets.topAppSecret.secretArn,
        [ENV.topSessionKeyArn]: secrets.topSessionKey.secretArn,
      },
    });
    const fn = this.function.fn;
    fn.configureAsyncInvoke({ retryAttempts: TICK_RETRIES, maxEventAge: TICK_MAX_AGE });

    // Send only: the poller can put leads on the queue but never read or delete them.
    leads.grantSendMessages(fn);
    secrets.topAppSecret.grantRead(fn);
    secrets.topSessionKey.grantRead(fn);
    // GetItem to load the scan state; PutItem for its conditional (versioned) writes.
    state.grantItems(fn, [KEY_PREFIXES.source], ['dynamodb:GetItem', 'dynamodb:PutItem']);

    // Sub-minute schedules: the scheduled poll sends the minute's ticks, and the tick queue
    // triggers the poller. The trigger is disabled on every other schedule, so there it makes no
    // SQS request at all (an enabled trigger long-polls the empty queue around the clock).
    this.ticks.grantSendMessages(fn);
    const tickTrigger = new EventSourceMapping(this, 'TickTrigger', {
      target: fn,
      eventSourceArn: this.ticks.queueArn,
      batchSize: TICK_BATCH_SIZE,
      maxConcurrency: TICK_MAX_CONCURRENCY,
    });
    this.ticks.grantConsumeMessages(fn);
    (tickTrigger.node.defaultChild as CfnEventSourceMapping).addPropertyOverride(
      'Enabled',
      Fn.conditionIf(parameters.subMinutePolling.logicalId, true, false),
    );

    // The scheduler's own role, so that its permissions sit with the poller.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Lets EventBridge Scheduler invoke the lead poller',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Runs the lead poller',
      schedule: ScheduleExpression.expression(parameters.schedulerExpression),
      target: new LambdaInvoke(fn, { role: schedulerRole, retryAttempts: TICK_RETRIES, maxEventAge: TICK_MAX_AGE }),
    });
    const fnLogicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason:
        'Granted by aws-scheduler-targets: invoke the poller function and its own versions/aliases ("<arn>:*"), nothing else.',
    });
  }
}
