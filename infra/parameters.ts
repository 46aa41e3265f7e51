import { CfnCondition, CfnParameter, CfnRule, Fn, type IResolvable, type Stack } from 'aws-cdk-lib';
import {
  DEFAULT_GATEWAY_URL,
  DEFAULT_PAGE_SIZE,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_SIGN_METHOD,
  DEFAULT_START_FROM,
  MAX_PAGE_SIZE,
  SIGN_METHODS,
} from '../functions/shared/config/stack-contract';

/**
 * The stack parameters of DESIGN §4, created at the stack's top level so their logical ids are
 * exactly the names the README and the operator use. Every constraint CloudFormation can check
 * is declared here, so a bad value fails at deploy time instead of at the first poll.
 * No secret parameter has a default: a template never carries a secret. The defaults are those
 * of the settings parser (functions/shared/config/stack-contract.ts).
 */

/**
 * The poll schedules on offer and their interval in seconds. A fixed list (not any EventBridge
 * expression) because the interval is derived from it: the poller's POLL_INTERVAL_SECONDS and
 * the period of the "no successful poll" alarm. Cron expressions are left out on purpose: a
 * schedule that pauses at night would make that alarm fire every night.
 * The sub-minute rates are not EventBridge Scheduler expressions (its smallest rate is a
 * minute): with one of them the scheduler runs every minute and the poller fans out the rest of
 * the minute's polls through its tick queue (functions/poller/ticks.ts, infra/poller.ts).
 */
export const POLL_SCHEDULES: ReadonlyArray<{ expression: string; seconds: number }> = [
  { expression: 'rate(5 seconds)', seconds: 5 },
  { expression: 'rate(10 seconds)', seconds: 10 },
  { expression: 'rate(15 seconds)', seconds: 15 },
  { expression: 'rate(20 seconds)', seconds: 20 },
  { expression: 'rate(30 seconds)', seconds: 30 },
  { expression: 'rate(1 minute)', seconds: 60 },
  { expression: 'rate(2 minutes)', seconds: 120 },
  { expression: 'rate(5 minutes)', seconds: 300 },
  { expression: 'rate(10 minutes)', seconds: 600 },
  { expression: 'rate(15 minutes)', seconds: 900 },
  { expression: 'rate(30 minutes)', seconds: 1800 },
  { expression: 'rate(1 hour)', seconds: 3600 },
];
/** The scheduler's own rate when PollSchedule is under a minute: the minute's first poll, which fans out the rest. */
export const SCHEDULER_MINUTE = 'rate(1 minute)';
/** The schedule of the functions' default interval (DESIGN §4: every minute). */
export const DEFAULT_POLL_SCHEDULE = scheduleEvery(DEFAULT_POLL_INTERVAL_SECONDS);

/** The names of the parameters whose values are secret (NoEcho, and kept in Secrets Manager). */
export const SECRET_PARAMETER_NAMES = ['TopAppSecret', 'TopSessionKey', 'Webhooks', 'MobilePrivateKey'] as const;

const NON_BLANK = '^\\S+$';

/**
 * The Monitoring parameter's values. `full`: the dashboard, and every metric the functions
 * have. `lean`: no dashboard, and the functions publish only the metrics an alarm reads; every
 * alarm stays (README, `npm run cost`: the dashboard's $3.00 a month less).
 */
export const MONITORING_LEVELS = ['full', 'lean'] as const;

export class LeadForwarderParameters {
  readonly topAppKey: CfnParameter;
  readonly topAppSecret: CfnParameter;
  readonly topSessionKey: CfnParameter;
  readonly topGatewayUrl: CfnParameter;
  readonly topSignMethod: CfnParameter;
  readonly pageSize: CfnParameter;
  readonly pollSchedule: CfnParameter;
  readonly startFrom: CfnParameter;
  readonly webhooks: CfnParameter;
  /** The ARN of a secret the operator keeps, holding the Webhooks JSON: for values over the 4,096-byte parameter limit. */
  readonly externalWebhooksSecretArn: CfnParameter;
  readonly mobilePrivateKey: CfnParameter;
  readonly alarmEmail: CfnParameter;
  readonly monitoring: CfnParameter;

  /** True when ExternalWebhooksSecretArn is empty: the stack keeps the Webhooks value in a secret of its own. */
  readonly usesStackWebhooksSecret: CfnCondition;
  /** True when MobilePrivateKey is set: only then does its secret exist. */
  readonly hasMobilePrivateKey: CfnCondition;
  /** True when AlarmEmail is set: only then is the email subscription created. */
  readonly hasAlarmEmail: CfnCondition;
  /** True when Monitoring is `full`: only then is the dashboard created and every metric published. */
  readonly fullMonitoring: CfnCondition;
  /** True when PollSchedule is under a minute: only then is the poller's tick queue trigger enabled. */
  readonly subMinutePolling: CfnCondition;
  /** The expression EventBridge Scheduler runs: PollSchedule, or every minute for a sub-minute one. */
  readonly schedulerExpression: string;
  /** The interval of PollSchedule in seconds, resolved by CloudFormation: as text (environment)… */
  readonly pollIntervalSeconds: string;
  /** …and as a number (an alarm period). */
  readonly pollIntervalSecondsNumber: IResolvable | number;
  /** `PollEvery<n>Seconds` for every schedule but the last: true when PollSchedule is that one. */
  private readonly scheduleConditions: CfnCondition[];

  constructor(stack: Stack) {
    this.topAppKey = new CfnParameter(stack, 'TopAppKey', {
      type: 'String',
      description: 'TOP app key of your Alimama / Taobao Open Platform application.',
      allowedPattern: '^[A-Za-z0-9_-]{1,64}$',
      constraintDescription: 'must be the app key: letters, digits, _ or -, no spaces',
    });
    this.topAppSecret = new CfnParameter(stack, 'TopAppSecret', {
      type: 'String',
      noEcho: true,
      description: 'TOP app secret. Stored in Secrets Manager; read only by the poller.',
      allowedPattern: NON_BLANK,
      constraintDescription: 'must be non-empty, without spaces or line breaks',
    });
    this.topSessionKey = new CfnParameter(stack, 'TopSessionKey', {
      type: 'String',
      noEcho: true,
      description:
        "The merchant's session key (access token from authorizing the app). Stored in Secrets Manager; read only by the poller.",
      allowedPattern: NON_BLANK,
      constraintDescription: 'must be non-empty, without spaces or line breaks',
    });
    this.topGatewayUrl = new CfnParameter(stack, 'TopGatewayUrl', {
      type: 'String',
      default: DEFAULT_GATEWAY_URL,
      description: 'TOP gateway endpoint, e.g. https://gw.api.taobao.com/router/rest.',
      allowedPattern: '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\\S*)?$',
      constraintDescription: 'must be an https URL',
    });
    this.topSignMethod = new CfnParameter(stack, 'TopSignMethod', {
      type: 'String',
      default: DEFAULT_SIGN_METHOD,
      allowedValues: [...SIGN_METHODS],
      description: 'How TOP requests are signed.',
    });
    this.pageSize = new CfnParameter(stack, 'PageSize', {
      // A String with a pattern, not a Number: a Number parameter takes 50.5, and every poll
      // would then fail. The value reaches the poller as text (PAGE_SIZE), which it validates again.
      type: 'String',
      default: String(DEFAULT_PAGE_SIZE),
      allowedPattern: '^([1-9][0-9]?|100)$', // 1 to MAX_PAGE_SIZE, no sign, decimals or leading zeros
      constraintDescription: `must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
      description: `Leads per API page (a whole number, 1-${MAX_PAGE_SIZE}).`,
    });
    this.pollSchedule = new CfnParameter(stack, 'PollSchedule', {
      type: 'String',
      default: DEFAULT_POLL_SCHEDULE,
      allowedValues: POLL_SCHEDULES.map((s) => s.expression),
      description:
        "How often the poller runs (a rate expression). Under a minute, the scheduler runs every minute and the poller sends the rest of the minute's polls to itself through an SQS tick queue.",
    });
    this.startFrom = new CfnParameter(stack, 'StartFrom', {
      type: 'String',
      default: DEFAULT_START_FROM,
      allowedPattern: '^(latest|all|0|[1-9][0-9]{0,39})$',
      constraintDescription: 'must be latest, all, or a lead id (digits)',
      description: 'First run only: latest = forward leads from now on; all = everything; a lead id = leads above it.',
    });
    this.webhooks = new CfnParameter(stack, 'Webhooks', {
      type: 'String',
      noEcho: true,
      // Empty only when ExternalWebhooksSecretArn names the secret that holds the value (rule below).
      default: '',
      description:
        'JSON array of endpoints, e.g. [{"name":"crm","url":"https://...","secret":"whsec_..."}]. Stored in Secrets Manager; read only by the forwarder. ' +
        'Over 4,096 bytes: leave empty and set ExternalWebhooksSecretArn.',
      // A non-empty array of objects; the forwarder validates the rest and names each problem.
      allowedPattern: '^$|^\\s*\\[\\s*\\{[\\s\\S]*\\}\\s*\\]\\s*$',
      constraintDescription: 'must be a non-empty JSON array of endpoint objects',
    });
    this.externalWebhooksSecretArn = new CfnParameter(stack, 'ExternalWebhooksSecretArn', {
      type: 'String',
      default: '',
      description:
        'Optional ARN of a Secrets Manager secret you keep (encrypted with the default aws/secretsmanager key) whose value is the Webhooks JSON: ' +
        'for a value larger than a parameter holds. Set it or Webhooks, not both.',
      allowedPattern: '^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$',
      constraintDescription: 'must be empty or the ARN of a Secrets Manager secret',
    });
    this.mobilePrivateKey = new CfnParameter(stack, 'MobilePrivateKey', {
      type: 'String',
      noEcho: true,
      // Optional, so it needs a default; the empty string is "not set", not a secret.
      default: '',
      description: 'Optional PEM private key (PKCS#8 or PKCS#1) that decrypts the mobile field. Empty: forward it encrypted.',
      allowedPattern: '^$|^\\s*-----BEGIN (RSA )?PRIVATE KEY-----[\\s\\S]+-----END (RSA )?PRIVATE KEY-----\\s*$',
      constraintDescription:
        'must be empty or a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)',
    });
    this.alarmEmail = new CfnParameter(stack, 'AlarmEmail', {
      type: 'String',
      default: '',
      description: 'Optional email address that receives alarms (confirm the subscription email).',
      allowedPattern: '^$|^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$',
      constraintDescription: 'must be empty or an email address',
    });

    this.monitoring = new CfnParameter(stack, 'Monitoring', {
      type: 'String',
      default: MONITORING_LEVELS[0],
      allowedValues: [...MONITORING_LEVELS],
      description:
        'full: a CloudWatch dashboard and every metric. lean: no dashboard, and only the metrics the alarms read are published; every alarm stays (saves $3 a month).',
    });

    this.usesStackWebhooksSecret = new CfnCondition(stack, 'UsesStackWebhooksSecret', {
      expression: Fn.conditionEquals(this.externalWebhooksSecretArn.valueAsString, ''),
    });
    // Exactly one place holds the endpoints: a stack with neither would forward nothing, and with
    // both it would be unclear which one the forwarder reads.
    new CfnRule(stack, 'WebhooksFromOnePlace', {
      assertions: [
        {
          assert: Fn.conditionOr(
            Fn.conditionAnd(
              Fn.conditionEquals(this.externalWebhooksSecretArn.valueAsString, ''),
              Fn.conditionNot(Fn.conditionEquals(this.webhooks.valueAsString, '')),
            ),
            Fn.conditionAnd(
              Fn.conditionNot(Fn.conditionEquals(this.externalWebhooksSecretArn.valueAsString, '')),
              Fn.conditionEquals(this.webhooks.valueAsString, ''),
            ),
          ),
          assertDescription: 'Set exactly one of Webhooks (the JSON value) and ExternalWebhooksSecretArn (a secret holding it).',
        },
      ],
    });
    this.hasMobilePrivateKey = new CfnCondition(stack, 'HasMobilePrivateKey', {
      expression: Fn.conditionNot(Fn.conditionEquals(this.mobilePrivateKey.valueAsString, '')),
    });
    this.hasAlarmEmail = new CfnCondition(stack, 'HasAlarmEmail', {
      expression: Fn.conditionNot(Fn.conditionEquals(this.alarmEmail.valueAsString, '')),
    });
    this.fullMonitoring = new CfnCondition(stack, 'FullMonitoring', {
      expression: Fn.conditionEquals(this.monitoring.valueAsString, MONITORING_LEVELS[0]),
    });
    this.scheduleConditions = POLL_SCHEDULES.slice(0, -1).map(
      (schedule) =>
        new CfnCondition(stack, `PollEvery${schedule.seconds}Seconds`, {
          expression: Fn.conditionEquals(this.pollSchedule.valueAsString, schedule.expression),
        }),
    );
    const subMinute = POLL_SCHEDULES.filter((schedule) => schedule.seconds < 60).map((schedule) =>
      Fn.conditionEquals(this.pollSchedule.valueAsString, schedule.expression),
    );
    this.subMinutePolling = new CfnCondition(stack, 'SubMinutePolling', { expression: Fn.conditionOr(...subMinute) });
    this.schedulerExpression = Fn.conditionIf(
      this.subMinutePolling.logicalId,
      SCHEDULER_MINUTE,
      this.pollSchedule.valueAsString,
    ).toString();
    this.pollIntervalSeconds = this.bySchedule(String).toString();
    this.pollIntervalSecondsNumber = this.bySchedule((seconds) => seconds);
  }

  /**
   * A value derived from the poll interval, resolved by CloudFormation for the chosen
   * PollSchedule: Fn::If(every 60 s, value(60), Fn::If(every 120 s, value(120), … value(last))).
   */
  bySchedule<T extends string | number>(value: (seconds: number) => T): IResolvable | T {
    const last = POLL_SCHEDULES[POLL_SCHEDULES.length - 1]!;
    let folded: IResolvable | T = value(last.seconds);
    for (let i = this.scheduleConditions.length - 1; i >= 0; i -= 1) {
      const here = value(POLL_SCHEDULES[i]!.seconds);
      // Fn::If(c, x, x) is just x: a run of equal values at the end folds into one.
      folded = here === folded ? folded : Fn.conditionIf(this.scheduleConditions[i]!.logicalId, here, folded);
    }
    return folded;
  }
}

/** The expression of the schedule on offer that runs every `seconds`: synth fails if there is none. */
function scheduleEvery(seconds: number): string {
  const schedule = POLL_SCHEDULES.find((s) => s.seconds === seconds);
  if (schedule === undefined) throw new RangeError(`no PollSchedule on offer runs every ${seconds} s (POLL_SCHEDULES)`);
  return schedule.expression;
}
