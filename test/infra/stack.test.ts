import { MOBILE_KEY_OUTPUT, REQUIRED_OUTPUTS } from '../../functions/cli/targets/stack-description';
import { Duration } from 'aws-cdk-lib';
import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { BUNDLE_SETTINGS } from '../../infra/bundling';
import { FORWARDER_BATCHING_WINDOW, FORWARDER_BATCH_SIZE, FORWARDER_MAX_CONCURRENCY } from '../../infra/forwarder';
import { POLL_SCHEDULES, SECRET_PARAMETER_NAMES } from '../../infra/parameters';
import { DLQ_RETENTION, MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR } from '../../infra/queues';
import { MOBILE_KEY_POLICY_METADATA } from '../../infra/secrets';
import { PARTITION_KEY, STATE_TABLE_LOGICAL_ID, TTL_ATTRIBUTE } from '../../infra/state-table';
import {
  Intrinsics,
  STACK_NAME,
  actionsOf,
  environmentOf,
  functions,
  mayTouchItem,
  only,
  props,
  refersTo,
  refsIn,
  resourcesOf,
  resourcesOfType,
  roleOf,
  statementsOfRole,
  synth,
  type CfnResource,
  type CfnTemplate,
  type Statement,
} from './support';

const { json } = synth();
const { poller, forwarder } = functions(json);
const [pollerId, pollerFn] = poller;
const [forwarderId, forwarderFn] = forwarder;

const DESIGN_PARAMETERS = [
  'TopAppKey',
  'TopAppSecret',
  'TopSessionKey',
  'TopGatewayUrl',
  'TopSignMethod',
  'PageSize',
  'PollSchedule',
  'StartFrom',
  'Webhooks',
  'MobilePrivateKey',
  'AlarmEmail',
  // DESIGN §7: a Webhooks value over the 4,096-byte parameter limit lives in the operator's secret.
  'ExternalWebhooksSecretArn',
  // DESIGN §8: the lean setting of the idle cost (no dashboard, only the alarmed metrics).
  'Monitoring',
];

/** The secret holding a parameter's value: alone, or (the poller's two) one per line. */
function secretOf(template: CfnTemplate, parameter: string): [string, CfnResource] {
  return only(
    resourcesOfType(template, 'AWS::SecretsManager::Secret').filter(([, secret]) =>
      refsIn(props(secret).SecretString).includes(parameter),
    ),
    `secret holding ${parameter}`,
  );
}

function queueByRole(): { leadsId: string; leads: CfnResource; dlqId: string; dlq: CfnResource } {
  const queues = resourcesOfType(json, 'AWS::SQS::Queue');
  const [leadsId, leads] = only(
    queues.filter(([, q]) => props(q).RedrivePolicy !== undefined),
    'queue with a redrive policy',
  );
  const target = (props(leads).RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } }).deadLetterTargetArn[
    'Fn::GetAtt'
  ][0];
  return { leadsId, leads, dlqId: target, dlq: json.Resources[target]! };
}

/** The poller's tick queue: the queue that is neither the leads queue nor its DLQ. */
function tickQueueId(): string {
  const { leadsId, dlqId } = queueByRole();
  return only(
    resourcesOfType(json, 'AWS::SQS::Queue').filter(([id]) => id !== leadsId && id !== dlqId),
    'tick queue',
  )[0];
}

function matchesRegex(pattern: string, value: string): boolean {
  // CloudFormation matches AllowedPattern against the whole value.
  return new RegExp(`^(?:${pattern})$`).test(value);
}

describe('stack parameters (DESIGN §4)', () => {
  it('are exactly the documented ones', () => {
    expect(
      Object.keys(json.Parameters)
        .filter((name) => !name.startsWith('BootstrapVersion'))
        .sort(),
    ).toEqual([...DESIGN_PARAMETERS].sort());
  });

  it('hide every secret (NoEcho) and give none a secret default', () => {
    for (const name of SECRET_PARAMETER_NAMES) {
      const parameter = json.Parameters[name]!;
      expect(parameter.NoEcho).toBe(true);
      // Only the optional ones may have a default, and only "not set" (Webhooks: kept elsewhere).
      if (name === 'MobilePrivateKey' || name === 'Webhooks') expect(parameter.Default).toBe('');
      else expect(parameter).not.toHaveProperty('Default');
    }
    for (const [name, parameter] of Object.entries(json.Parameters)) {
      if (parameter.NoEcho === true) expect(SECRET_PARAMETER_NAMES).toContain(name);
      if (parameter.NoEcho === true && parameter.Default !== undefined) expect(parameter.Default).toBe('');
    }
  });

  it('catch bad values at deploy time', () => {
    const p = json.Parameters;
    const accepts = (name: string, value: string): boolean => matchesRegex(p[name]!.AllowedPattern!, value);
    expect(['latest', 'all', '0', '221985', '123456789012345678901234567890'].filter((v) => !accepts('StartFrom', v))).toEqual(
      [],
    );
    expect(['', 'Latest', '-1', '007', '12a', 'latest '].some((v) => accepts('StartFrom', v))).toBe(false);
    expect(accepts('TopGatewayUrl', 'https://eco.taobao.com/router/rest')).toBe(true);
    expect(accepts('TopGatewayUrl', 'https://gw.api.taobao.com/router/rest')).toBe(true);
    expect(accepts('TopGatewayUrl', 'http://eco.taobao.com/router/rest')).toBe(false);
    expect(accepts('Webhooks', '[{"name":"crm","url":"https://crm.example.com/hook"}]')).toBe(true);
    expect(accepts('Webhooks', ' [\n  {"name": "a", "url": "https://a"},\n  {"name": "b", "url": "https://b"}\n]\n')).toBe(true);
    expect(['[]', '{}', 'https://crm.example.com'].some((v) => accepts('Webhooks', v))).toBe(false);
    expect(accepts('ExternalWebhooksSecretArn', '')).toBe(true);
    expect(
      accepts(
        'ExternalWebhooksSecretArn',
        'arn:aws:secretsmanager:cn-north-1:123456789012:secret:lead-forwarder/webhooks-AbCdEf',
      ),
    ).toBe(true);
    expect(accepts('ExternalWebhooksSecretArn', 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:webhooks-AbCdEf')).toBe(
      true,
    );
    expect(
      ['lead-forwarder/webhooks', 'arn:aws:ssm:us-east-1:123456789012:parameter/webhooks', '[{"name":"crm"}]'].some((v) =>
        accepts('ExternalWebhooksSecretArn', v),
      ),
    ).toBe(false);
    expect(accepts('MobilePrivateKey', '')).toBe(true);
    expect(accepts('MobilePrivateKey', '-----BEGIN PRIVATE KEY-----\nMIIC\n-----END PRIVATE KEY-----\n')).toBe(true);
    expect(accepts('MobilePrivateKey', '-----BEGIN RSA PRIVATE KEY-----\nMIIC\n-----END RSA PRIVATE KEY-----')).toBe(true);
    expect(accepts('MobilePrivateKey', '-----BEGIN PUBLIC KEY-----\nMIIC\n-----END PUBLIC KEY-----')).toBe(false);
    expect(accepts('AlarmEmail', '')).toBe(true);
    expect(accepts('AlarmEmail', 'ops@example.com')).toBe(true);
    expect(accepts('AlarmEmail', 'ops')).toBe(false);
    for (const name of ['TopAppKey', 'TopAppSecret', 'TopSessionKey']) {
      expect(accepts(name, '')).toBe(false);
      expect(accepts(name, 'has space')).toBe(false);
    }
    // A String with a pattern: a Number parameter would take 50.5, and every poll would then fail.
    expect(p.PageSize).toMatchObject({ Type: 'String', Default: '100' });
    expect(['1', '9', '10', '50', '99', '100'].filter((v) => !accepts('PageSize', v))).toEqual([]);
    expect(['50.5', '0', '101', '', '-1', '050', '1e2', ' 50', '50 ', '1000'].some((v) => accepts('PageSize', v))).toBe(false);
    expect(p.TopSignMethod).toMatchObject({ AllowedValues: ['hmac-sha256', 'hmac', 'md5'], Default: 'hmac-sha256' });
    expect(p.PollSchedule!.AllowedValues).toContain(p.PollSchedule!.Default);
    expect(p.PollSchedule!.Default).toBe('rate(1 minute)');
    for (const expression of p.PollSchedule!.AllowedValues!)
      expect(expression).toMatch(/^rate\((1 (minute|hour)|[2-9]\d* minutes|\d{2,} minutes|(5|10|15|20|30) seconds)\)$/);
  });
});

describe('secrets', () => {
  it("keep each secret parameter in a Secrets Manager secret as the raw value, the poller's two in one, a line each", () => {
    for (const name of ['Webhooks', 'MobilePrivateKey'])
      expect(props(secretOf(json, name)[1]).SecretString).toEqual({ Ref: name });
    const [credentialsId, credentials] = secretOf(json, 'TopAppSecret');
    expect(secretOf(json, 'TopSessionKey')[0]).toBe(credentialsId);
    expect(props(credentials).SecretString).toEqual({ 'Fn::Join': ['\n', [{ Ref: 'TopAppSecret' }, { Ref: 'TopSessionKey' }]] });
    // Neither value can hold the line break that separates them.
    for (const name of ['TopAppSecret', 'TopSessionKey']) expect(json.Parameters[name]!.AllowedPattern).toBe('^\\S+$');
    // The poller is told which line holds which.
    const intrinsics = new Intrinsics(json, {}, { [credentialsId]: 'arn:credentials' });
    expect(intrinsics.evaluate(environmentOf(pollerFn).TOP_APP_SECRET_ARN)).toBe('arn:credentials#0');
    expect(intrinsics.evaluate(environmentOf(pollerFn).TOP_SESSION_KEY_ARN)).toBe('arn:credentials#1');
    expect(resourcesOfType(json, 'AWS::SecretsManager::Secret')).toHaveLength(SECRET_PARAMETER_NAMES.length - 1);
  });

  it('create the mobile key secret only when the parameter is set, and tell the forwarder its ARN or ""', () => {
    const [mobileId, mobile] = secretOf(json, 'MobilePrivateKey');
    expect(mobile.Condition).toBeDefined();
    const stand = { [mobileId]: 'arn:aws:secretsmanager:us-east-1:1:secret:mobile' };
    const unset = new Intrinsics(json, { MobilePrivateKey: '' }, stand);
    const set = new Intrinsics(json, { MobilePrivateKey: '-----BEGIN PRIVATE KEY-----\n…' }, stand);
    expect(unset.condition(mobile.Condition!)).toBe(false);
    expect(set.condition(mobile.Condition!)).toBe(true);
    const arnVariable = environmentOf(forwarderFn).MOBILE_PRIVATE_KEY_SECRET_ARN;
    expect(unset.evaluate(arnVariable)).toBe('');
    expect(set.evaluate(arnVariable)).toBe(stand[mobileId]);
    // Nothing unconditional may name the secret: the stack must deploy without it.
    for (const [id, resource] of Object.entries(json.Resources)) {
      if (id !== mobileId && resource.Condition === undefined && resource.Type !== 'AWS::Lambda::Function')
        expect(refersTo(resource, mobileId)).toBe(false);
    }
  });

  it('keep the Webhooks value in the stack only when the operator names no secret of their own, and refuse a stack with neither or both', () => {
    const [webhooksId, webhooks] = secretOf(json, 'Webhooks');
    const own = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:own-AbCdEf';
    const stand = { [webhooksId]: 'arn:stack-webhooks' };
    const inline = new Intrinsics(
      json,
      { Webhooks: '[{"name":"crm","url":"https://crm"}]', ExternalWebhooksSecretArn: '' },
      stand,
    );
    const external = new Intrinsics(json, { Webhooks: '', ExternalWebhooksSecretArn: own }, stand);
    expect(inline.condition(webhooks.Condition!)).toBe(true);
    expect(external.condition(webhooks.Condition!)).toBe(false);
    expect(inline.evaluate(environmentOf(forwarderFn).WEBHOOKS_SECRET_ARN)).toBe('arn:stack-webhooks');
    expect(external.evaluate(environmentOf(forwarderFn).WEBHOOKS_SECRET_ARN)).toBe(own);
    for (const [id, resource] of Object.entries(json.Resources)) {
      if (
        id !== webhooksId &&
        resource.Condition === undefined &&
        resource.Type !== 'AWS::Lambda::Function' &&
        resource.Type !== 'AWS::IAM::Policy'
      )
        expect(refersTo(resource, webhooksId)).toBe(false);
    }
    const assertions = json.Rules?.WebhooksFromOnePlace?.Assertions ?? [];
    expect(assertions.length).toBeGreaterThan(0);
    const holds = (parameters: Record<string, string>): boolean =>
      assertions.every((a) => new Intrinsics(json, parameters).holds(a.Assert));
    expect(holds({ Webhooks: '[{"name":"crm","url":"https://crm"}]', ExternalWebhooksSecretArn: '' })).toBe(true);
    expect(holds({ Webhooks: '', ExternalWebhooksSecretArn: own })).toBe(true);
    expect(holds({ Webhooks: '', ExternalWebhooksSecretArn: '' })).toBe(false);
    expect(holds({ Webhooks: '[{"name":"crm","url":"https://crm"}]', ExternalWebhooksSecretArn: own })).toBe(false);
    expect(assertions.map((a) => a.AssertDescription).join(' ')).toContain('ExternalWebhooksSecretArn');
  });

  it('create the forwarder after the policy that lets it read the mobile key, when there is one', () => {
    const [mobileId] = secretOf(json, 'MobilePrivateKey');
    const policies = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy' && refersTo(r, mobileId));
    expect(policies).toHaveLength(1);
    const [policyId, policy] = policies[0]!;
    const wait = forwarderFn.Metadata?.[MOBILE_KEY_POLICY_METADATA];
    const unset = new Intrinsics(json, { MobilePrivateKey: '' }, { [policyId]: 'policy-id' });
    const set = new Intrinsics(json, { MobilePrivateKey: '-----BEGIN PRIVATE KEY-----\n…' }, { [policyId]: 'policy-id' });
    expect(set.condition(policy.Condition!)).toBe(true);
    // A Ref is how CloudFormation orders a resource after a conditional one (DependsOn cannot).
    expect(set.evaluate(wait)).toBe('policy-id');
    expect(unset.evaluate(wait)).toBe('');
  });

  it('never appear in the template, wherever a careless app might pick them up', () => {
    const samples = {
      TOP_APP_SECRET: 'sample-app-secret-7f3a9c',
      TOP_SESSION_KEY: 'sample-session-6102b5e2',
      WEBHOOKS: '[{"name":"crm","url":"https://crm.example.com/hook","secret":"whsec_c2FtcGxlLXdlYmhvb2stc2VjcmV0"}]',
      MOBILE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nsample-private-key-4d2e\n-----END PRIVATE KEY-----',
    };
    const saved = { ...process.env };
    Object.assign(process.env, samples, {
      TopAppSecret: samples.TOP_APP_SECRET,
      TopSessionKey: samples.TOP_SESSION_KEY,
      Webhooks: samples.WEBHOOKS,
    });
    try {
      const context = {
        TopAppSecret: samples.TOP_APP_SECRET,
        TopSessionKey: samples.TOP_SESSION_KEY,
        Webhooks: samples.WEBHOOKS,
        MobilePrivateKey: samples.MOBILE_PRIVATE_KEY,
      };
      const text = JSON.stringify(synth(context).json);
      for (const value of Object.values(samples)) {
        expect(text).not.toContain(value);
        expect(text).not.toContain(JSON.stringify(value).slice(1, -1)); // nor JSON-escaped
      }
      expect(text).not.toContain('whsec_c2FtcGxl');
    } finally {
      process.env = saved;
    }
  });
});

describe('function environments', () => {
  const noEcho = Object.entries(json.Parameters)
    .filter(([, p]) => p.NoEcho === true)
    .map(([name]) => name);
  const secretIds = new Set(resourcesOfType(json, 'AWS::SecretsManager::Secret').map(([id]) => id));

  it.each([
    ['poller', pollerFn],
    ['forwarder', forwarderFn],
  ])('of the %s carry no secret value, only secret ARNs', (_name, fn) => {
    const environment = environmentOf(fn);
    expect(Object.keys(environment).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(environment)) {
      expect(refsIn(value).filter((ref) => noEcho.includes(ref))).toEqual([]);
      if (/SECRET|SESSION|PRIVATE|PASSWORD|TOKEN|WEBHOOK|CREDENTIAL/.test(key)) {
        expect(key).toMatch(/_ARN$/);
        const refs = refsIn(value);
        expect(refs.length).toBeGreaterThan(0);
        // A secret of the stack's, or the ARN of the operator's own (a name, not a value).
        for (const ref of refs) expect(secretIds.has(ref) || ref === 'ExternalWebhooksSecretArn').toBe(true);
      }
    }
  });

  it('tell the poller the interval of the chosen schedule', () => {
    for (const { expression, seconds } of POLL_SCHEDULES) {
      const intrinsics = new Intrinsics(json, { PollSchedule: expression });
      expect(intrinsics.evaluate(environmentOf(pollerFn).POLL_INTERVAL_SECONDS)).toBe(String(seconds));
    }
  });

  it('name the stack as the metrics service, in the LeadForwarder namespace, with source maps on', () => {
    for (const fn of [pollerFn, forwarderFn]) {
      const environment = environmentOf(fn);
      expect(environment.POWERTOOLS_SERVICE_NAME).toEqual({ Ref: 'AWS::StackName' });
      expect(environment.POWERTOOLS_METRICS_NAMESPACE).toBe('LeadForwarder');
      expect(environment.NODE_OPTIONS).toContain('--enable-source-maps');
    }
  });
});

describe('functions', () => {
  it('run the newest Node.js runtime this aws-cdk-lib offers (24 or later), on arm64, with a bundle built for no newer Node', () => {
    const nodeMajor = (name: string): number => Number(/^node(?:js)?(\d+)(?:\.x)?$/.exec(name)?.[1]);
    const offered = Runtime.ALL.filter((r) => r.family === RuntimeFamily.NODEJS && !r.isVariable).map((r) => nodeMajor(r.name));
    const newest = Math.max(...offered.filter((major) => !Number.isNaN(major)));
    for (const fn of [pollerFn, forwarderFn]) {
      const runtime = String(props(fn).Runtime);
      expect(runtime).toMatch(/^nodejs(\d+)\.x$/);
      expect(nodeMajor(runtime)).toBe(newest);
      expect(nodeMajor(runtime)).toBeGreaterThanOrEqual(24);
      expect(nodeMajor(BUNDLE_SETTINGS.target)).toBeLessThanOrEqual(nodeMajor(runtime));
      expect(props(fn).Architectures).toEqual(['arm64']);
    }
  });

  it('run one poller at a time, on the PollSchedule, without async retries', () => {
    expect(props(pollerFn).ReservedConcurrentExecutions).toBe(1);
    const schedule = only(resourcesOfType(json, 'AWS::Scheduler::Schedule'), 'schedule')[1];
    // EventBridge Scheduler's smallest rate is a minute: a sub-minute PollSchedule runs it every
    // minute (and the poller fans out the rest); every other one is the scheduler's expression.
    for (const { expression, seconds } of POLL_SCHEDULES)
      expect(new Intrinsics(json, { PollSchedule: expression }).evaluate(props(schedule).ScheduleExpression)).toBe(
        seconds < 60 ? 'rate(1 minute)' : expression,
      );
    expect(refersTo((props(schedule).Target as { Arn: unknown }).Arn, pollerId)).toBe(true);
    const invokeConfig = only(
      resourcesOfType(json, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) => refersTo(props(c).FunctionName, pollerId)),
      'poller invoke config',
    )[1];
    expect(props(invokeConfig).MaximumRetryAttempts).toBe(0);
  });

  it('log to their own log groups, with a retention', () => {
    for (const fn of [pollerFn, forwarderFn]) {
      const logGroupId = (props(fn).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(json.Resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
      expect(props(json.Resources[logGroupId]!).RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('start the forwarder from the leads queue with partial batch failures', () => {
    const { leadsId } = queueByRole();
    const mapping = only(
      resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => refersTo(props(m).EventSourceArn, leadsId)),
      'event source mapping of the leads queue',
    )[1];
    expect(refersTo(props(mapping).FunctionName, forwarderId)).toBe(true);
    expect(props(mapping).FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(props(mapping)).toMatchObject({
      BatchSize: FORWARDER_BATCH_SIZE,
      MaximumBatchingWindowInSeconds: FORWARDER_BATCHING_WINDOW.toSeconds(),
      ScalingConfig: { MaximumConcurrency: FORWARDER_MAX_CONCURRENCY },
    });
  });
});

describe('sub-minute polling (the tick queue)', () => {
  const ticksId = tickQueueId();
  const ticks = json.Resources[ticksId]!;
  const [, trigger] = only(
    resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => refersTo(props(m).EventSourceArn, ticksId)),
    'tick trigger',
  );

  it('every allowed PollSchedule synthesizes, with the interval the poller is told', () => {
    for (const { expression, seconds } of POLL_SCHEDULES) {
      const intrinsics = new Intrinsics(json, { PollSchedule: expression });
      expect(intrinsics.evaluate(environmentOf(pollerFn).POLL_INTERVAL_SECONDS)).toBe(String(seconds));
      expect(intrinsics.condition('SubMinutePolling')).toBe(seconds < 60);
    }
    expect(POLL_SCHEDULES.filter((s) => s.seconds < 60).map((s) => s.expression)).toEqual([
      'rate(5 seconds)',
      'rate(10 seconds)',
      'rate(15 seconds)',
      'rate(20 seconds)',
      'rate(30 seconds)',
    ]);
  });

  it('trigger the poller one tick at a time, only on sub-minute schedules (disabled, it makes no request)', () => {
    expect(refersTo(props(trigger).FunctionName, pollerId)).toBe(true);
    expect(props(trigger).BatchSize).toBe(1);
    expect(props(trigger).FunctionResponseTypes).toBeUndefined();
    for (const { expression, seconds } of POLL_SCHEDULES)
      expect(new Intrinsics(json, { PollSchedule: expression }).evaluate(props(trigger).Enabled)).toBe(seconds < 60);
  });

  it('hold a tick briefly, encrypted, TLS only, and hide one Lambda throttled at least as long as a poll may run', () => {
    expect(props(ticks)).toMatchObject({ SqsManagedSseEnabled: true });
    expect(props(ticks).VisibilityTimeout).toBeGreaterThanOrEqual(props(pollerFn).Timeout as number);
    expect(props(ticks).MessageRetentionPeriod).toBeLessThanOrEqual(600);
    expect(props(ticks).RedrivePolicy).toBeUndefined();
    const policy = resourcesOfType(json, 'AWS::SQS::QueuePolicy').find(([, q]) => refersTo(props(q).Queues, ticksId));
    expect(JSON.stringify(policy?.[1])).toContain('aws:SecureTransport');
    expect(environmentOf(pollerFn).TICK_QUEUE_URL).toEqual({ Ref: ticksId });
  });
});

describe('queues', () => {
  const { leads, dlqId, dlq } = queueByRole();

  it('hide a lead being delivered for at least 6× the forwarder timeout', () => {
    expect(VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(6);
    expect(Number(props(leads).VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(props(forwarderFn).Timeout));
  });

  it('redrive to the DLQ after MAX_RECEIVE_COUNT receives, which the forwarder also knows', () => {
    expect(props(leads).RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    expect(environmentOf(forwarderFn).MAX_RECEIVE_COUNT).toBe(String(MAX_RECEIVE_COUNT));
  });

  it('keep dead letters 14 days and leads long enough, but shorter than the DLQ', () => {
    expect(props(dlq).MessageRetentionPeriod).toBe(DLQ_RETENTION.toSeconds());
    expect(DLQ_RETENTION.toDays()).toBe(14);
    const leadsRetention = Number(props(leads).MessageRetentionPeriod);
    expect(leadsRetention).toBeGreaterThanOrEqual(Duration.days(4).toSeconds());
    expect(leadsRetention).toBeLessThan(DLQ_RETENTION.toSeconds());
  });

  it('are encrypted and refuse plain HTTP', () => {
    for (const [id, queue] of resourcesOfType(json, 'AWS::SQS::Queue')) {
      expect(props(queue).SqsManagedSseEnabled).toBe(true);
      const policy = only(
        resourcesOfType(json, 'AWS::SQS::QueuePolicy').filter(([, p]) => refersTo(props(p).Queues, id)),
        `policy of ${id}`,
      )[1];
      expect((props(policy).PolicyDocument as { Statement: Statement[] }).Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('state table', () => {
  const table = json.Resources[STATE_TABLE_LOGICAL_ID]!;

  it('is keyed by pk only, on demand, with PITR, TTL and AWS-managed encryption, and outlives the stack', () => {
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(props(table).KeySchema).toEqual([{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }]);
    expect(props(table).AttributeDefinitions).toEqual([{ AttributeName: PARTITION_KEY, AttributeType: 'S' }]);
    expect(props(table).BillingMode).toBe('PAY_PER_REQUEST');
    expect(props(table).PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(props(table).TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(props(table).SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('least privilege', () => {
  const pollerStatements = statementsOfRole(json, roleOf(pollerFn));
  const forwarderStatements = statementsOfRole(json, roleOf(forwarderFn));
  const { leadsId, dlqId } = queueByRole();
  const [appSecretId] = secretOf(json, 'TopAppSecret');
  const [sessionKeyId] = secretOf(json, 'TopSessionKey');
  const [webhooksId] = secretOf(json, 'Webhooks');
  const [mobileId] = secretOf(json, 'MobilePrivateKey');
  // BatchWriteItem names every item's key, so the LeadingKeys condition covers it as it does single items.
  const ITEM_ACTIONS = [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ];

  const withAction = (statements: Statement[], action: string): Statement[] =>
    statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));

  it('gives no function a wildcard action or a managed policy', () => {
    for (const fn of [pollerFn, forwarderFn]) {
      for (const statement of statementsOfRole(json, roleOf(fn)))
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
      expect(props(json.Resources[roleOf(fn)]!).ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets the poller send to the leads queue and its tick queue, and receive from its tick queue only', () => {
    const ticksId = tickQueueId();
    expect(withAction(pollerStatements, 'sqs:PurgeQueue')).toEqual([]);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
      const statements = withAction(pollerStatements, action);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) expect(resourcesOf(statement)).toEqual([{ 'Fn::GetAtt': [ticksId, 'Arn'] }]);
    }
    const send = withAction(pollerStatements, 'sqs:SendMessage');
    expect(send.length).toBeGreaterThan(0);
    for (const statement of send) {
      expect(refersTo(statement.Resource, leadsId) || refersTo(statement.Resource, ticksId)).toBe(true);
      expect(refersTo(statement.Resource, dlqId)).toBe(false);
    }
    expect(send.some((statement) => refersTo(statement.Resource, leadsId))).toBe(true);
  });

  it('lets the poller read its two secrets and not the webhooks or the mobile key', () => {
    const reads = withAction(pollerStatements, 'secretsmanager:GetSecretValue');
    const read = reads.flatMap((s) => resourcesOf(s));
    expect(read).toEqual(expect.arrayContaining([{ Ref: appSecretId }, { Ref: sessionKeyId }]));
    for (const statement of pollerStatements) {
      expect(refersTo(statement, webhooksId)).toBe(false);
      expect(refersTo(statement, mobileId)).toBe(false);
    }
    for (const [, policy] of resourcesOfType(json, 'AWS::IAM::Policy')) {
      if (refersTo(props(policy).Roles, roleOf(pollerFn)))
        expect(refersTo(policy, webhooksId) || refersTo(policy, mobileId)).toBe(false);
    }
  });

  it('lets the forwarder consume the leads queue, delay retries and park in the DLQ, and read only its secrets', () => {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
      expect(withAction(forwarderStatements, action).some((s) => refersTo(s.Resource, leadsId))).toBe(true);
    }
    const send = withAction(forwarderStatements, 'sqs:SendMessage');
    expect(send.length).toBeGreaterThan(0);
    for (const statement of send)
      expect(refersTo(statement.Resource, dlqId) && !refersTo(statement.Resource, leadsId)).toBe(true);
    const read = withAction(forwarderStatements, 'secretsmanager:GetSecretValue').flatMap((s) => resourcesOf(s));
    const stand = { [webhooksId]: 'arn:stack-webhooks', [mobileId]: 'arn:mobile' };
    const own = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:own-AbCdEf';
    // The webhooks are read from wherever they are kept: the stack's secret, or the operator's.
    expect(new Intrinsics(json, { ExternalWebhooksSecretArn: '' }, stand).evaluate(read)).toEqual(
      expect.arrayContaining(['arn:stack-webhooks', 'arn:mobile']),
    );
    expect(new Intrinsics(json, { ExternalWebhooksSecretArn: own }, stand).evaluate(read)).toEqual(
      expect.arrayContaining([own, 'arn:mobile']),
    );
    expect(new Intrinsics(json, { ExternalWebhooksSecretArn: own }, stand).evaluate(read)).not.toContain('arn:stack-webhooks');
    for (const statement of forwarderStatements) {
      expect(refersTo(statement, appSecretId)).toBe(false);
      expect(refersTo(statement, sessionKeyId)).toBe(false);
    }
  });

  it('limits each function to its own table items, with actions that name their keys only', () => {
    for (const statements of [pollerStatements, forwarderStatements]) {
      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.length).toBeGreaterThan(0);
      for (const statement of dynamo) {
        for (const action of actionsOf(statement)) expect(ITEM_ACTIONS).toContain(action);
        expect(refersTo(statement.Resource, STATE_TABLE_LOGICAL_ID)).toBe(true);
        expect(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toBeDefined();
      }
    }
    expect(mayTouchItem(pollerStatements, 'source#12345678')).toBe(true);
    expect(mayTouchItem(pollerStatements, 'delivery#221985#crm')).toBe(false);
    expect(mayTouchItem(pollerStatements, 'endpoint#crm')).toBe(false);
    expect(mayTouchItem(forwarderStatements, 'delivery#221985#crm')).toBe(true);
    expect(mayTouchItem(forwarderStatements, 'endpoint#crm')).toBe(true);
    expect(mayTouchItem(forwarderStatements, 'source#12345678')).toBe(false);
  });
});

describe('outputs', () => {
  it('are the ones the operator CLI reads', () => {
    expect(Object.keys(json.Outputs).sort()).toEqual(
      [...REQUIRED_OUTPUTS, 'DashboardUrl', MOBILE_KEY_OUTPUT, 'TopCredentialsSecretArn'].sort(),
    );
    const { leadsId, dlqId } = queueByRole();
    expect(json.Outputs.StackName!.Value).toBe(STACK_NAME);
    expect(json.Outputs.StateTableName!.Value).toEqual({ Ref: STATE_TABLE_LOGICAL_ID });
    expect(json.Outputs.LeadsQueueUrl!.Value).toEqual({ Ref: leadsId });
    expect(json.Outputs.DeadLetterQueueArn!.Value).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
    const webhooksStand = { [secretOf(json, 'Webhooks')[0]]: 'arn:stack-webhooks' };
    expect(
      new Intrinsics(json, { ExternalWebhooksSecretArn: '' }, webhooksStand).evaluate(json.Outputs.WebhooksSecretArn!.Value),
    ).toBe('arn:stack-webhooks');
    expect(
      new Intrinsics(json, { ExternalWebhooksSecretArn: 'arn:own' }, webhooksStand).evaluate(
        json.Outputs.WebhooksSecretArn!.Value,
      ),
    ).toBe('arn:own');
    expect(json.Outputs.TopAppKey!.Value).toEqual({ Ref: 'TopAppKey' });
    const credentials = new Intrinsics(json, {}, { [secretOf(json, 'TopAppSecret')[0]]: 'arn:credentials' });
    expect(credentials.evaluate(json.Outputs.TopAppSecretArn!.Value)).toBe('arn:credentials#0');
    expect(credentials.evaluate(json.Outputs.TopSessionKeyArn!.Value)).toBe('arn:credentials#1');
    // The one secret behind both, for the operator's IAM policy (README "Operator permissions").
    expect(credentials.evaluate(json.Outputs.TopCredentialsSecretArn!.Value)).toBe('arn:credentials');
  });

  it('name the mobile key secret only when it exists (the parameter is set)', () => {
    const [mobileId, mobile] = secretOf(json, 'MobilePrivateKey');
    const output = json.Outputs[MOBILE_KEY_OUTPUT]!;
    expect(output.Value).toEqual({ Ref: mobileId });
    expect(output.Condition).toBe(mobile.Condition);
  });

  it('give the dashboard address only when the dashboard exists (Monitoring=full)', () => {
    const [dashboardId, dashboard] = only(resourcesOfType(json, 'AWS::CloudWatch::Dashboard'), 'dashboard');
    const output = json.Outputs.DashboardUrl!;
    expect(refersTo(output.Value, dashboardId)).toBe(true);
    expect(output.Condition).toBe(dashboard.Condition);
    expect(new Intrinsics(json, {}).condition(output.Condition!)).toBe(true);
    expect(new Intrinsics(json, { Monitoring: 'lean' }).condition(output.Condition!)).toBe(false);
  });
});
