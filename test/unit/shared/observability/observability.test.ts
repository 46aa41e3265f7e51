import type { Context } from 'aws-lambda';
import {
  createLogger,
  createMetrics,
  DEFAULT_SERVICE,
  MetricUnit,
  OBSERVABILITY_ENV,
  publishedMetricNames,
} from '../../../../functions/shared/observability/observability';
import { capture } from '../../../support/powertools-capture';

/**
 * The handlers' logger and metrics are Powertools'; these tests check what they write, as the
 * handlers use them: made from the environment, writing to the process's stdout and stderr.
 */

const NOW = new Date('2026-11-29T08:00:00.000Z');
const ON_DEMAND = { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };

function context(functionName: string, awsRequestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 1_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

beforeEach(() => jest.useFakeTimers({ now: NOW }));
afterEach(() => jest.useRealTimers());

describe("the functions' logger", () => {
  it('writes one JSON line per entry: info to stdout, warnings and errors to stderr', () => {
    const { out, err } = capture({ [OBSERVABILITY_ENV.service]: 'shop-a' }, () => {
      const logger = createLogger();
      logger.info('lead delivered', { leadId: '700000001', endpoint: 'crm', latencyMs: 12 });
      logger.warn('delivery will be retried', { leadId: '700000002' });
      logger.error('delivery rejected', { leadId: '700000003', reason: 'HTTP 400' });
    });
    const base = { timestamp: NOW.toISOString(), service: 'shop-a', sampling_rate: 0 };
    expect(out).toEqual([
      { level: 'INFO', message: 'lead delivered', ...base, leadId: '700000001', endpoint: 'crm', latencyMs: 12 },
    ]);
    expect(err).toEqual([
      { level: 'WARN', message: 'delivery will be retried', ...base, leadId: '700000002' },
      { level: 'ERROR', message: 'delivery rejected', ...base, leadId: '700000003', reason: 'HTTP 400' },
    ]);
  });

  it("adds the invocation's context to every line: cold start (first invocation only), request id, function name", () => {
    const { out } = capture({ [OBSERVABILITY_ENV.service]: 'shop-a', ...ON_DEMAND }, () => {
      const logger = createLogger();
      logger.addContext(context('shop-a-poller', 'request-1'));
      logger.info('poll finished');
      logger.info('lead record rejected');
      logger.addContext(context('shop-a-poller', 'request-2'));
      logger.info('poll finished');
    });
    const lambda = {
      function_name: 'shop-a-poller',
      function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:shop-a-poller',
      function_memory_size: '256',
    };
    expect(out).toEqual([
      expect.objectContaining({
        message: 'poll finished',
        service: 'shop-a',
        cold_start: true,
        function_request_id: 'request-1',
        ...lambda,
      }),
      expect.objectContaining({ message: 'lead record rejected', cold_start: true, function_request_id: 'request-1', ...lambda }),
      expect.objectContaining({ message: 'poll finished', cold_start: false, function_request_id: 'request-2', ...lambda }),
    ]);
  });

  it("adds the invocation's X-Ray trace id when Lambda gives one", () => {
    const { out } = capture({}, () => {
      const logger = createLogger();
      process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
      logger.info('first');
      delete process.env._X_AMZN_TRACE_ID;
      logger.info('second');
    });
    expect(out).toEqual([
      expect.objectContaining({ message: 'first', xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793' }),
      expect.not.objectContaining({ xray_trace_id: expect.anything() as unknown }),
    ]);
  });

  it('keeps the level, message, time and service its own: a field of the same name is dropped, with a warning', () => {
    const { out, err } = capture({ [OBSERVABILITY_ENV.service]: 'shop-a' }, () => {
      createLogger().info('poll finished', {
        level: 'ERROR',
        message: 'forged',
        service: 'other',
        timestamp: 'then',
        enqueued: 3,
        toString: 'kept',
        constructor: 'dropped',
      });
    });
    // A field named like an Object.prototype member is kept, but for `constructor` (and
    // `__proto__`), which Powertools skips as a prototype-pollution guard.
    expect(out).toEqual([
      {
        level: 'INFO',
        message: 'poll finished',
        timestamp: NOW.toISOString(),
        service: 'shop-a',
        sampling_rate: 0,
        enqueued: 3,
        toString: 'kept',
      },
    ]);
    expect(err.map((line) => line.message)).toEqual(
      ['level', 'message', 'service', 'timestamp'].map((key) => `The key "${key}" is a reserved key and will be dropped.`),
    );
  });

  it.each([
    ['WARN', ['WARN', 'ERROR']],
    ['ERROR', ['ERROR']],
    ['DEBUG', ['INFO', 'WARN', 'ERROR']],
    [undefined, ['INFO', 'WARN', 'ERROR']],
    // Powertools takes the level names as written in its documentation, upper case.
    ['warning', ['INFO', 'WARN', 'ERROR']],
    ['loud', ['INFO', 'WARN', 'ERROR']],
  ])('POWERTOOLS_LOG_LEVEL %s writes %j', (level, written) => {
    const { out, err } = capture(level === undefined ? {} : { [OBSERVABILITY_ENV.logLevel]: level }, () => {
      const logger = createLogger();
      logger.info('i');
      logger.warn('w');
      logger.error('e');
    });
    expect([...out, ...err].map((line) => line.level)).toEqual(written);
  });

  it.each([
    ['INFO', 'WARN'],
    ['ERROR', 'WARN'],
  ])("with POWERTOOLS_LOG_LEVEL %s, Lambda's own log level (AWS_LAMBDA_LOG_LEVEL) %s applies", (ours, lambdas) => {
    const { out, err } = capture({ [OBSERVABILITY_ENV.logLevel]: ours, AWS_LAMBDA_LOG_LEVEL: lambdas }, () => {
      const logger = createLogger();
      logger.info('hidden');
      logger.warn('shown');
    });
    expect(out).toEqual([]);
    expect(err.map((line) => line.message)).toEqual(['shown']);
  });

  it.each([
    ['not set', {}, DEFAULT_SERVICE],
    ['empty', { [OBSERVABILITY_ENV.service]: ' ' }, DEFAULT_SERVICE],
    ['set', { [OBSERVABILITY_ENV.service]: 'shop-b' }, 'shop-b'],
  ])('names its service from POWERTOOLS_SERVICE_NAME (%s)', (_case, env: Record<string, string>, service) => {
    const { out } = capture(env, () => createLogger().info('shown'));
    expect(out).toEqual([expect.objectContaining({ message: 'shown', service })]);
  });
});

describe("the functions' metrics (EMF)", () => {
  const NAMESPACE = { [OBSERVABILITY_ENV.namespace]: 'LeadForwarder', [OBSERVABILITY_ENV.service]: 'shop-a' };

  it('publishes what was added as one document with the service dimension, several values of a name as a list', () => {
    let left = true;
    const { out } = capture(NAMESPACE, () => {
      const metrics = createMetrics();
      metrics.addMetric('LeadsFetched', MetricUnit.Count, 20);
      metrics.addMetric('MalformedMessages', MetricUnit.Count, 1);
      metrics.addMetric('MalformedMessages', MetricUnit.Count, 1);
      metrics.addMetric('PollDurationMs', MetricUnit.Milliseconds, 812);
      metrics.publishStoredMetrics();
      // Published once: nothing is left to publish (the forwarder checks before publishing).
      left = metrics.hasStoredMetrics();
    });
    expect(out).toEqual([
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [
            {
              Namespace: 'LeadForwarder',
              Dimensions: [['service']],
              Metrics: [
                { Name: 'LeadsFetched', Unit: 'Count' },
                { Name: 'MalformedMessages', Unit: 'Count' },
                { Name: 'PollDurationMs', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        service: 'shop-a',
        LeadsFetched: 20,
        MalformedMessages: [1, 1],
        PollDurationMs: 812,
      },
    ]);
    expect(left).toBe(false);
  });

  it('writes a metric with more dimensions at once, in its own document (singleMetric)', () => {
    const { out } = capture(NAMESPACE, () => {
      const single = createMetrics().singleMetric();
      single.addDimension('endpoint', 'crm');
      single.addMetric('Delivered', MetricUnit.Count, 1);
    });
    expect(out).toEqual([
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [
            {
              Namespace: 'LeadForwarder',
              Dimensions: [['service', 'endpoint']],
              Metrics: [{ Name: 'Delivered', Unit: 'Count' }],
            },
          ],
        },
        service: 'shop-a',
        endpoint: 'crm',
        Delivered: 1,
      },
    ]);
  });

  it("publishes the metrics of each dimension value (the forwarder's per endpoint) as a document of its own, with the others", () => {
    let left = true;
    const { out, err } = capture(NAMESPACE, () => {
      const metrics = createMetrics();
      for (const latency of [31, 29]) {
        metrics.withDimension('endpoint', 'crm').addMetric('Delivered', MetricUnit.Count, 1);
        metrics.withDimension('endpoint', 'crm').addMetric('DeliveryLatencyMs', MetricUnit.Milliseconds, latency);
      }
      metrics.withDimension('endpoint', 'erp').addMetric('DeliveryRetried', MetricUnit.Count, 1);
      metrics.withDimension('endpoint', 'idle').addMetric('Delivered', MetricUnit.Count, 0);
      metrics.addMetric('LeadAgeSeconds', MetricUnit.Seconds, 12);
      metrics.publishStoredMetrics();
      left = metrics.hasStoredMetrics();
      // The next batch's documents hold only what it added.
      metrics.withDimension('endpoint', 'crm').addMetric('Delivered', MetricUnit.Count, 1);
      expect(metrics.hasStoredMetrics()).toBe(true);
      metrics.publishStoredMetrics();
    });
    const directive = (names: string[], dimensions: string[]) => ({
      Namespace: 'LeadForwarder',
      Dimensions: [dimensions],
      Metrics: names.map((name) => ({ Name: name, Unit: expect.any(String) as unknown })),
    });
    expect(err).toEqual([]);
    expect(out).toEqual([
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [directive(['Delivered', 'DeliveryLatencyMs'], ['service', 'endpoint'])],
        },
        service: 'shop-a',
        endpoint: 'crm',
        Delivered: [1, 1],
        DeliveryLatencyMs: [31, 29],
      },
      {
        _aws: { Timestamp: NOW.getTime(), CloudWatchMetrics: [directive(['DeliveryRetried'], ['service', 'endpoint'])] },
        service: 'shop-a',
        endpoint: 'erp',
        DeliveryRetried: 1,
      },
      {
        _aws: { Timestamp: NOW.getTime(), CloudWatchMetrics: [directive(['LeadAgeSeconds'], ['service'])] },
        service: 'shop-a',
        LeadAgeSeconds: 12,
      },
      {
        _aws: { Timestamp: NOW.getTime(), CloudWatchMetrics: [directive(['Delivered'], ['service', 'endpoint'])] },
        service: 'shop-a',
        endpoint: 'crm',
        Delivered: 1,
      },
    ]);
    expect(left).toBe(false);
  });

  it("writes the ColdStart metric on a container's first invocation only, by service and function name", () => {
    const { out } = capture({ ...NAMESPACE, ...ON_DEMAND }, () => {
      const metrics = createMetrics();
      metrics.captureColdStartMetric('shop-a-forwarder');
      metrics.captureColdStartMetric('shop-a-forwarder');
    });
    expect(out).toEqual([
      {
        _aws: {
          Timestamp: NOW.getTime(),
          CloudWatchMetrics: [
            {
              Namespace: 'LeadForwarder',
              Dimensions: [['service', 'function_name']],
              Metrics: [{ Name: 'ColdStart', Unit: 'Count' }],
            },
          ],
        },
        service: 'shop-a',
        function_name: 'shop-a-forwarder',
        ColdStart: 1,
      },
    ]);
  });

  it("keeps to EMF's 100 values of a name per document by publishing early", () => {
    const { out } = capture(NAMESPACE, () => {
      const metrics = createMetrics();
      for (let i = 0; i < 150; i += 1) metrics.addMetric('DeliveryRetried', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(out.map((doc) => (doc.DeliveryRetried as number[]).length)).toEqual([100, 50]);
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is true (the local runner)', () => {
    const disabled = capture({ [OBSERVABILITY_ENV.metricsDisabled]: 'true', ...ON_DEMAND }, () => {
      const metrics = createMetrics();
      metrics.captureColdStartMetric('f');
      metrics.addMetric('PollSucceeded', MetricUnit.Count, 1);
      const single = metrics.singleMetric();
      single.addDimension('endpoint', 'crm');
      single.addMetric('Delivered', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(disabled).toEqual({ out: [], err: [] });
    const enabled = capture({}, () => {
      const metrics = createMetrics();
      metrics.addMetric('PollSucceeded', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(enabled.out).toEqual([
      expect.objectContaining({
        service: DEFAULT_SERVICE,
        PollSucceeded: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'LeadForwarder' })],
        }) as unknown,
      }),
    ]);
  });

  it('leaves out counts of nothing (an idle poll fetched, enqueued and rejected 0), and flushes nothing silently', () => {
    const idle = capture(NAMESPACE, () => {
      const metrics = createMetrics();
      metrics.addMetric('PollSucceeded', MetricUnit.Count, 1);
      metrics.addMetric('LeadsFetched', MetricUnit.Count, 0);
      metrics.addMetric('LeadsEnqueued', MetricUnit.Count, 0);
      metrics.addMetric('PollDurationMs', MetricUnit.Milliseconds, 0);
      metrics.addMetric('CursorLagSeconds', MetricUnit.Seconds, 0);
      metrics.publishStoredMetrics();
    });
    expect(idle.out).toHaveLength(1);
    expect(idle.out[0]).toEqual(expect.objectContaining({ PollSucceeded: 1, PollDurationMs: 0, CursorLagSeconds: 0 }));
    expect(Object.keys(idle.out[0]!)).not.toContain('LeadsFetched');
    expect(Object.keys(idle.out[0]!)).not.toContain('LeadsEnqueued');
    const nothing = capture(NAMESPACE, () => {
      const metrics = createMetrics();
      metrics.addMetric('LeadsRejected', MetricUnit.Count, 0);
      const single = metrics.singleMetric();
      single.addDimension('endpoint', 'crm');
      single.addMetric('Delivered', MetricUnit.Count, 0);
      metrics.publishStoredMetrics();
    });
    expect(nothing).toEqual({ out: [], err: [] });
  });

  it('publishes only the metrics LEAD_FORWARDER_METRICS names (Monitoring=lean), per-endpoint and ColdStart ones included', () => {
    const lean = { ...NAMESPACE, ...ON_DEMAND, [OBSERVABILITY_ENV.publishedMetrics]: 'PollSucceeded, DeliveriesRetrying' };
    const { out, err } = capture(lean, () => {
      const metrics = createMetrics();
      metrics.captureColdStartMetric('shop-a-poller');
      metrics.addMetric('PollSucceeded', MetricUnit.Count, 1);
      metrics.addMetric('PollDurationMs', MetricUnit.Milliseconds, 500);
      const single = metrics.singleMetric();
      single.addDimension('endpoint', 'crm');
      single.addMetric('Delivered', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      // A flush left with nothing (a failed poll's PollFailed and PollDurationMs are not listed) writes nothing.
      metrics.addMetric('PollFailed', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(err).toEqual([]);
    expect(out).toEqual([
      expect.objectContaining({
        PollSucceeded: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Metrics: [{ Name: 'PollSucceeded', Unit: 'Count' }] })],
        }) as unknown,
      }),
    ]);
  });

  it('reads the published-metrics setting: unset, empty or * publish every metric; "," none', () => {
    expect(publishedMetricNames(undefined)).toBeUndefined();
    expect(publishedMetricNames(' ')).toBeUndefined();
    expect(publishedMetricNames('*')).toBeUndefined();
    expect(publishedMetricNames(',')).toEqual(new Set());
    expect(publishedMetricNames('A,B ,,C')).toEqual(new Set(['A', 'B', 'C']));
  });

  it('takes an empty POWERTOOLS_SERVICE_NAME or POWERTOOLS_METRICS_NAMESPACE as not set: CloudWatch refuses an empty dimension value', () => {
    const { out } = capture({ [OBSERVABILITY_ENV.service]: '', [OBSERVABILITY_ENV.namespace]: ' ' }, () => {
      const metrics = createMetrics();
      metrics.addMetric('PollSucceeded', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    });
    expect(out).toEqual([
      expect.objectContaining({
        service: DEFAULT_SERVICE,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'LeadForwarder' })],
        }) as unknown,
      }),
    ]);
  });
});
