import { Writable } from 'node:stream';
import { createLogger } from '../../../../functions/shared/observability/logger';
import { createMetrics, MetricUnit } from '../../../../functions/shared/observability/metrics';
import { createLogger as loggerFromEnv, createMetrics as metricsFromEnv, OBSERVABILITY_ENV } from '../../../../functions/shared/observability/observability';

/** A stream that keeps each written line, parsed. */
function sink(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

const NOW = new Date('2026-11-29T08:00:00.000Z');

describe('the functions\' logger', () => {
  it('writes one JSON line per entry: info to stdout, warnings and errors to stderr', () => {
    const out = sink();
    const err = sink();
    const logger = createLogger({ service: 'shop-a', stdout: out.stream, stderr: err.stream, now: () => NOW, traceHeader: () => undefined });
    logger.info('lead delivered', { leadId: '700000001', endpoint: 'crm', latencyMs: 12 });
    logger.warn('delivery will be retried', { leadId: '700000002' });
    logger.error('delivery rejected', { leadId: '700000003', reason: 'HTTP 400' });
    expect(out.lines).toEqual([{ level: 'INFO', message: 'lead delivered', timestamp: NOW.toISOString(), service: 'shop-a', leadId: '700000001', endpoint: 'crm', latencyMs: 12 }]);
    expect(err.lines).toEqual([
      { level: 'WARN', message: 'delivery will be retried', timestamp: NOW.toISOString(), service: 'shop-a', leadId: '700000002' },
      { level: 'ERROR', message: 'delivery rejected', timestamp: NOW.toISOString(), service: 'shop-a', leadId: '700000003', reason: 'HTTP 400' },
    ]);
  });

  it('adds the invocation\'s X-Ray trace id when Lambda gives one', () => {
    const out = sink();
    let header: string | undefined = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const logger = createLogger({ service: 's', stdout: out.stream, now: () => NOW, traceHeader: () => header });
    logger.info('first');
    header = undefined;
    logger.info('second');
    expect(out.lines).toEqual([
      { level: 'INFO', message: 'first', timestamp: NOW.toISOString(), service: 's', xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793' },
      { level: 'INFO', message: 'second', timestamp: NOW.toISOString(), service: 's' },
    ]);
  });

  it('keeps the level, message, time and service its own: a field of the same name is dropped', () => {
    const out = sink();
    createLogger({ service: 'shop-a', stdout: out.stream, now: () => NOW, traceHeader: () => undefined }).info('poll finished', { level: 'ERROR', message: 'forged', service: 'other', enqueued: 3, constructor: 'kept' });
    // Only its own keys: a field named like an Object.prototype member is kept.
    expect(out.lines).toEqual([{ level: 'INFO', message: 'poll finished', timestamp: NOW.toISOString(), service: 'shop-a', enqueued: 3, constructor: 'kept' }]);
  });

  it.each([
    ['WARN', ['WARN', 'ERROR']],
    ['warning', ['WARN', 'ERROR']],
    ['ERROR', ['ERROR']],
    ['DEBUG', ['INFO', 'WARN', 'ERROR']],
    [undefined, ['INFO', 'WARN', 'ERROR']],
    ['loud', ['INFO', 'WARN', 'ERROR']],
  ])('level %s writes %j', (level, written) => {
    const out = sink();
    const logger = createLogger({ service: 's', stdout: out.stream, stderr: out.stream, ...(level === undefined ? {} : { level }) });
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(out.lines.map((line) => line.level)).toEqual(written);
  });

  it('takes its level from LOG_LEVEL, else from Lambda\'s AWS_LAMBDA_LOG_LEVEL, and its service from SERVICE_NAME', () => {
    const stdout = process.stdout.write.bind(process.stdout);
    const written: string[] = [];
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0);
    try {
      loggerFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'ERROR' }).info('hidden');
      loggerFromEnv({ [OBSERVABILITY_ENV.logLevel]: 'INFO', AWS_LAMBDA_LOG_LEVEL: 'ERROR', [OBSERVABILITY_ENV.service]: 'shop-b' }).info('shown');
    } finally {
      process.stdout.write = stdout;
    }
    expect(written.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([expect.objectContaining({ message: 'shown', service: 'shop-b' })]);
  });
});

describe('the functions\' metrics (EMF)', () => {
  it('publishes what was added as one document with the service dimension, several values of a name as a list', () => {
    const out = sink();
    const metrics = createMetrics({ namespace: 'LeadForwarder', service: 'shop-a', stdout: out.stream, now: () => NOW.getTime() });
    metrics.add('LeadsFetched', MetricUnit.Count, 20);
    metrics.add('MalformedMessages', MetricUnit.Count, 1);
    metrics.add('MalformedMessages', MetricUnit.Count, 1);
    metrics.add('PollDurationMs', MetricUnit.Milliseconds, 812);
    expect(out.lines).toEqual([]);
    metrics.publish();
    expect(out.lines).toEqual([
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
    // Published once: the next publish has nothing to write, and writes nothing.
    metrics.publish();
    expect(out.lines).toHaveLength(1);
  });

  it('writes a metric with more dimensions at once, in its own document', () => {
    const out = sink();
    const metrics = createMetrics({ namespace: 'LeadForwarder', service: 'shop-a', stdout: out.stream, now: () => NOW.getTime() });
    metrics.addWithDimensions({ endpoint: 'crm' }, 'Delivered', MetricUnit.Count, 1);
    expect(out.lines).toEqual([
      {
        _aws: { Timestamp: NOW.getTime(), CloudWatchMetrics: [{ Namespace: 'LeadForwarder', Dimensions: [['service', 'endpoint']], Metrics: [{ Name: 'Delivered', Unit: 'Count' }] }] },
        service: 'shop-a',
        endpoint: 'crm',
        Delivered: 1,
      },
    ]);
  });

  it('keeps to EMF\'s 100 values of a name per document by publishing early', () => {
    const out = sink();
    const metrics = createMetrics({ namespace: 'N', service: 's', stdout: out.stream });
    for (let i = 0; i < 150; i += 1) metrics.add('DeliveryRetried', MetricUnit.Count, 1);
    metrics.publish();
    expect(out.lines.map((doc) => (doc.DeliveryRetried as number[]).length)).toEqual([100, 50]);
  });

  it('writes nothing when METRICS_DISABLED is true (the local runner)', () => {
    const stdout = process.stdout.write.bind(process.stdout);
    const written: string[] = [];
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0);
    try {
      const disabled = metricsFromEnv({ [OBSERVABILITY_ENV.metricsDisabled]: 'true' });
      disabled.add('PollSucceeded', MetricUnit.Count, 1);
      disabled.addWithDimensions({ endpoint: 'crm' }, 'Delivered', MetricUnit.Count, 1);
      disabled.publish();
      const enabled = metricsFromEnv({});
      enabled.add('PollSucceeded', MetricUnit.Count, 1);
      enabled.publish();
    } finally {
      process.stdout.write = stdout;
    }
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({ service: 'alimama-lead-forwarder', PollSucceeded: 1, _aws: { CloudWatchMetrics: [{ Namespace: 'LeadForwarder' }] } });
  });

  it('takes an empty SERVICE_NAME or METRICS_NAMESPACE as not set: CloudWatch refuses an empty dimension value', () => {
    const stdout = process.stdout.write.bind(process.stdout);
    const written: string[] = [];
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0);
    try {
      const metrics = metricsFromEnv({ [OBSERVABILITY_ENV.service]: '', [OBSERVABILITY_ENV.namespace]: ' ' });
      metrics.add('PollSucceeded', MetricUnit.Count, 1);
      metrics.publish();
    } finally {
      process.stdout.write = stdout;
    }
    expect(JSON.parse(written[0]!)).toMatchObject({ service: 'alimama-lead-forwarder', _aws: { CloudWatchMetrics: [{ Namespace: 'LeadForwarder' }] } });
  });
});
