import { readForwarderEnvironment, readPollerEnvironment, ENV } from '../../functions/shared/config/lambda-env';
import { endpointKey } from '../../functions/shared/aws/endpoint-status';
import { ledgerKey } from '../../functions/shared/aws/ledger';
import { sourceKey } from '../../functions/shared/aws/scan-state';
import { parsePollerSettings, parseStartFrom } from '../../functions/shared/config/parse-settings';
import { METRICS_NAMESPACE } from '../../functions/shared/observability/metric-names';
import { METRIC, OBSERVABILITY_ENV } from '../../functions/shared/observability/observability';
import {
  DEFAULT_POLL_INTERVAL_SECONDS,
  MAX_PAGE_SIZE,
  SIGN_METHODS,
  type TopSettings,
} from '../../functions/shared/domain/settings';
import { backoffSeconds } from '../../functions/forwarder/outcome';
import { LEADS_RETENTION, MAX_RECEIVE_COUNT } from '../../infra/queues';
import {
  Intrinsics,
  environmentOf,
  functions,
  mayTouchItem,
  props,
  resourcesOfType,
  roleOf,
  statementsOfRole,
  synth,
} from './support';

/**
 * What crosses between the stack and the function code, checked where it crosses: what the
 * template sets, grants and watches against what the handlers read, write and emit. The names
 * and defaults themselves come from one module (functions/shared/config/stack-contract.ts).
 */

const { json } = synth();
const { poller, forwarder } = functions(json);
const RUNTIME_ONLY = [OBSERVABILITY_ENV.service, OBSERVABILITY_ENV.namespace, OBSERVABILITY_ENV.publishedMetrics, 'NODE_OPTIONS'];
const HOUR = 3600;
const APP_KEY = '12345678';

// Resolve the environment as CloudFormation would, with the optional parameters left at their defaults.
const stand = Object.fromEntries(Object.keys(json.Resources).map((id) => [id, `value-of-${id}`]));
const intrinsics = new Intrinsics(json, { TopAppKey: APP_KEY }, { ...stand, 'AWS::StackName': 'shop-a' });
const resolve = (variables: Record<string, unknown>): Record<string, string> =>
  intrinsics.evaluate(variables) as Record<string, string>;

/** The poller's `top` settings for these values (with the secrets filled in), or undefined if it refuses them. */
function pollerTop(top: Record<string, unknown>): TopSettings | undefined {
  try {
    return parsePollerSettings({ top: { appKey: 'k', appSecret: 's', sessionKey: 'k', ...top } }).top;
  } catch {
    return undefined;
  }
}

describe('the stack and the handlers', () => {
  it('agree on every environment variable, and the handlers accept what the stack sets', () => {
    const known = new Set<string>([...Object.values(ENV), ...RUNTIME_ONLY]);
    for (const [, fn] of [poller, forwarder]) for (const key of Object.keys(environmentOf(fn))) expect(known).toContain(key);
    const pollerEnv = readPollerEnvironment(resolve(environmentOf(poller[1])));
    expect(pollerEnv.pollIntervalSeconds).toBe(String(DEFAULT_POLL_INTERVAL_SECONDS));
    const forwarderEnv = readForwarderEnvironment(resolve(environmentOf(forwarder[1])));
    expect(forwarderEnv.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    const leadsQueue = Object.values(json.Resources).find(
      (r) => r.Type === 'AWS::SQS::Queue' && r.Properties?.RedrivePolicy !== undefined,
    );
    expect(forwarderEnv.leadsRetentionSeconds).toBe(leadsQueue?.Properties?.MessageRetentionPeriod);
    expect(forwarderEnv.mobilePrivateKeySecretArn).toBeUndefined();
  });

  it('agree on the defaults of DESIGN §4: a stack left at its parameter defaults polls like a config file that sets none', () => {
    // As the poller's handler builds its settings from its environment and its secrets.
    const env = readPollerEnvironment(resolve(environmentOf(poller[1])));
    const deployed = parsePollerSettings({
      top: { ...env.top, appSecret: 's', sessionKey: 'k' },
      startFrom: env.startFrom,
      pollIntervalSeconds: env.pollIntervalSeconds,
    });
    expect(deployed).toEqual(parsePollerSettings({ top: { appKey: APP_KEY, appSecret: 's', sessionKey: 'k' } }));
  });

  it('agree on PageSize: the poller accepts every value the template lets through', () => {
    const pattern = new RegExp(`^(?:${json.Parameters.PageSize!.AllowedPattern!})$`);
    const pollerAccepts = (pageSize: string): boolean => pollerTop({ pageSize })?.pageSize === Number(pageSize);
    const samples = [...Array.from({ length: 102 }, (_, n) => String(n)), '50.5', '1e2', '-1', ''];
    for (const value of samples.filter((v) => pattern.test(v)))
      expect({ value, accepted: pollerAccepts(value) }).toEqual({ value, accepted: true });
    expect(samples.filter((v) => pattern.test(v))).toHaveLength(MAX_PAGE_SIZE);
  });

  it('agree on TopSignMethod: the template offers exactly the methods the poller signs with', () => {
    const allowed = json.Parameters.TopSignMethod!.AllowedValues!;
    for (const signMethod of allowed)
      expect({ signMethod, accepted: pollerTop({ signMethod })?.signMethod === signMethod }).toEqual({
        signMethod,
        accepted: true,
      });
    expect([...allowed].sort()).toEqual([...SIGN_METHODS].sort());
  });

  it('agree on StartFrom: the poller accepts every value the template lets through', () => {
    const pattern = new RegExp(`^(?:${json.Parameters.StartFrom!.AllowedPattern!})$`);
    const samples = [
      'latest',
      'all',
      '0',
      '1',
      '221985',
      '9'.repeat(40),
      '9'.repeat(41),
      '0123',
      'Latest',
      ' latest',
      '-1',
      '1.5',
      '',
    ];
    const passed = samples.filter((v) => pattern.test(v));
    for (const value of passed)
      expect({ value, accepted: parseStartFrom(value) !== undefined }).toEqual({ value, accepted: true });
    expect(passed).toEqual(['latest', 'all', '0', '1', '221985', '9'.repeat(40)]);
  });

  it('agree on the metric names: the alarms and the dashboard watch every metric the functions emit, and no other', () => {
    const alarmed = resourcesOfType(json, 'AWS::CloudWatch::Alarm')
      .map(([, alarm]) => props(alarm))
      .filter((alarm) => alarm.Namespace === METRICS_NAMESPACE)
      .map((alarm) => String(alarm.MetricName));
    // The dashboard body is a Fn::Join of JSON text around Refs: its text parts name the metrics,
    // as ["LeadForwarder","<name>",…] or in a SEARCH expression as MetricName=\"<name>\".
    const text = resourcesOfType(json, 'AWS::CloudWatch::Dashboard')
      .flatMap(([, dashboard]) => (props(dashboard).DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1])
      .filter((part): part is string => typeof part === 'string')
      .join('');
    const charted = [...text.matchAll(new RegExp(`"${METRICS_NAMESPACE}","(\\w+)"|MetricName=\\\\"(\\w+)\\\\"`, 'g'))].map(
      (m) => m[1] ?? m[2]!,
    );
    expect(charted.length).toBeGreaterThan(0);
    const watched = [...new Set([...alarmed, ...charted])].sort();
    expect(watched).toEqual([...new Set(Object.values(METRIC))].sort());
  });

  it("grant each function the state-table items its code writes, and not the other function's", () => {
    const pollerStatements = statementsOfRole(json, roleOf(poller[1]));
    const forwarderStatements = statementsOfRole(json, roleOf(forwarder[1]));
    const pollerKeys = [sourceKey(APP_KEY)];
    const forwarderKeys = [ledgerKey('221985', 'crm'), endpointKey('crm')];
    for (const key of pollerKeys)
      expect({ key, poller: mayTouchItem(pollerStatements, key), forwarder: mayTouchItem(forwarderStatements, key) }).toEqual({
        key,
        poller: true,
        forwarder: false,
      });
    for (const key of forwarderKeys)
      expect({ key, poller: mayTouchItem(pollerStatements, key), forwarder: mayTouchItem(forwarderStatements, key) }).toEqual({
        key,
        poller: false,
        forwarder: true,
      });
  });

  it('give an undeliverable lead about a day of retries, all within the queue retention', () => {
    // The forwarder waits backoffSeconds(k) after failed receive k and parks on receive MAX_RECEIVE_COUNT.
    let mean = 0;
    let longest = 0;
    for (let attempt = 1; attempt < MAX_RECEIVE_COUNT; attempt += 1) {
      const ceiling = backoffSeconds(attempt, undefined, () => 0.999_999);
      longest += ceiling;
      mean += (ceiling + 1) / 2;
    }
    expect(mean).toBeGreaterThanOrEqual(18 * HOUR);
    expect(mean).toBeLessThanOrEqual(30 * HOUR);
    expect(longest).toBeLessThan(LEADS_RETENTION.toSeconds());
  });
});
