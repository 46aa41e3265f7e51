import { readForwarderEnvironment, readPollerEnvironment, ENV } from '../../functions/shared/config/lambda-env';
import { endpointKey } from '../../functions/shared/aws/endpoint-status';
import { ledgerKey } from '../../functions/shared/aws/ledger';
import { sourceKey } from '../../functions/shared/aws/scan-state';
import { parsePollerSettings } from '../../functions/shared/config/parse-settings';
import { METRIC, OBSERVABILITY_ENV } from '../../functions/shared/observability/observability';
import { DEFAULT_GATEWAY_URL as PRODUCT_GATEWAY_URL, DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL_SECONDS, SIGN_METHODS as PRODUCT_SIGN_METHODS } from '../../functions/shared/domain/settings';
import { backoffSeconds } from '../../functions/forwarder/outcome';
import { ENDPOINT_METRICS, FORWARDER_METRICS, POLLER_METRICS } from '../../infra/metrics';
import { DEFAULT_GATEWAY_URL, DEFAULT_POLL_SCHEDULE, MAX_PAGE_SIZE, POLL_SCHEDULES, SIGN_METHODS } from '../../infra/parameters';
import { LEADS_RETENTION, MAX_RECEIVE_COUNT } from '../../infra/queues';
import { KEY_PREFIXES } from '../../infra/state-table';
import { Intrinsics, environmentOf, functions, synth } from './support';

/** The stack and the function code must agree: names, keys, defaults and the retry budget. */

const { json } = synth();
const { poller, forwarder } = functions(json);
const RUNTIME_ONLY = [OBSERVABILITY_ENV.service, OBSERVABILITY_ENV.namespace, 'NODE_OPTIONS'];
const HOUR = 3600;

describe('the stack and the handlers', () => {
  it('agree on every environment variable, and the handlers accept what the stack sets', () => {
    const known = new Set<string>([...Object.values(ENV), ...RUNTIME_ONLY]);
    for (const [, fn] of [poller, forwarder]) for (const key of Object.keys(environmentOf(fn))) expect(known).toContain(key);
    // Resolve the environment as CloudFormation would, with the optional parameters left at their defaults.
    const stand = Object.fromEntries(Object.keys(json.Resources).map((id) => [id, `value-of-${id}`]));
    const intrinsics = new Intrinsics(json, { TopAppKey: '12345678' }, { ...stand, 'AWS::StackName': 'shop-a' });
    const resolve = (variables: Record<string, unknown>): Record<string, string> => intrinsics.evaluate(variables) as Record<string, string>;
    const pollerEnv = readPollerEnvironment(resolve(environmentOf(poller[1])));
    expect(pollerEnv.pollIntervalSeconds).toBe(String(DEFAULT_POLL_INTERVAL_SECONDS));
    const forwarderEnv = readForwarderEnvironment(resolve(environmentOf(forwarder[1])));
    expect(forwarderEnv.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    const leadsQueue = Object.values(json.Resources).find((r) => r.Type === 'AWS::SQS::Queue' && r.Properties?.RedrivePolicy !== undefined);
    expect(forwarderEnv.leadsRetentionSeconds).toBe(leadsQueue?.Properties?.MessageRetentionPeriod);
    expect(forwarderEnv.mobilePrivateKeySecretArn).toBeUndefined();
  });

  it('agree on PageSize: the poller accepts every value the template lets through', () => {
    const pattern = new RegExp(`^(?:${json.Parameters.PageSize!.AllowedPattern!})$`);
    const pollerAccepts = (pageSize: string): boolean => {
      try {
        return parsePollerSettings({ top: { appKey: 'k', appSecret: 's', sessionKey: 'k', pageSize } }).top.pageSize === Number(pageSize);
      } catch {
        return false;
      }
    };
    const samples = [...Array.from({ length: 102 }, (_, n) => String(n)), '50.5', '1e2', '-1', ''];
    for (const value of samples.filter((v) => pattern.test(v))) expect({ value, accepted: pollerAccepts(value) }).toEqual({ value, accepted: true });
    expect(samples.filter((v) => pattern.test(v))).toHaveLength(MAX_PAGE_SIZE);
  });

  it('agree on the metric names the alarms and the dashboard watch', () => {
    const watched = [...Object.values(POLLER_METRICS), ...Object.values(ENDPOINT_METRICS), ...Object.values(FORWARDER_METRICS)].sort();
    expect(watched).toEqual(Object.values(METRIC).sort());
  });

  it('agree on the key prefixes the IAM conditions rely on', () => {
    expect(sourceKey('12345678').startsWith(KEY_PREFIXES.source)).toBe(true);
    expect(ledgerKey('221985', 'crm').startsWith(KEY_PREFIXES.delivery)).toBe(true);
    expect(endpointKey('crm').startsWith(KEY_PREFIXES.endpoint)).toBe(true);
  });

  it('agree on the defaults of DESIGN §4', () => {
    expect(DEFAULT_GATEWAY_URL).toBe(PRODUCT_GATEWAY_URL);
    expect(MAX_PAGE_SIZE).toBe(DEFAULT_PAGE_SIZE);
    expect([...SIGN_METHODS]).toEqual([...PRODUCT_SIGN_METHODS]);
    expect(POLL_SCHEDULES.find((s) => s.expression === DEFAULT_POLL_SCHEDULE)?.seconds).toBe(DEFAULT_POLL_INTERVAL_SECONDS);
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
