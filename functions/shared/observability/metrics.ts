/**
 * CloudWatch metrics through the embedded metric format (EMF): a JSON document on stdout that
 * CloudWatch Logs turns into metrics, with no API call on the invocation's path. Every metric
 * carries the `service` dimension; one added with more dimensions is its own document.
 */

import { SERVICE_DIMENSION } from './metric-names';

export const MetricUnit = { Count: 'Count', Milliseconds: 'Milliseconds', Seconds: 'Seconds' } as const;
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** EMF's limit on the values of one metric in one document. */
const MAX_VALUES = 100;

export interface Metrics {
  /** Stored until publish: the same name added again adds a value. */
  add(name: string, unit: MetricUnit, value: number): void;
  /** Written at once, in a document of its own with these dimensions besides `service`. */
  addWithDimensions(dimensions: Record<string, string>, name: string, unit: MetricUnit, value: number): void;
  /** Writes what is stored as one document, and forgets it; writes nothing when nothing is stored. */
  publish(): void;
}

export interface MetricsOptions {
  namespace: string;
  service: string;
  /** Nothing is written (the local runner has no CloudWatch to read it). */
  disabled?: boolean;
  stdout?: NodeJS.WritableStream;
  now?: () => number;
}

interface Stored {
  unit: MetricUnit;
  values: number[];
}

export function createMetrics({ namespace, service, disabled = false, stdout = process.stdout, now = Date.now }: MetricsOptions): Metrics {
  let stored = new Map<string, Stored>();
  const emit = (dimensions: Record<string, string>, metrics: Map<string, Stored>): void => {
    if (disabled || metrics.size === 0) return;
    const document: Record<string, unknown> = {
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: [...metrics].map(([Name, { unit }]) => ({ Name, Unit: unit })) }],
      },
      ...dimensions,
    };
    for (const [name, { values }] of metrics) document[name] = values.length === 1 ? values[0] : values;
    stdout.write(`${JSON.stringify(document)}\n`);
  };
  const publish = (): void => {
    const metrics = stored;
    stored = new Map();
    emit({ [SERVICE_DIMENSION]: service }, metrics);
  };
  return {
    add(name, unit, value) {
      if ((stored.get(name)?.values.length ?? 0) >= MAX_VALUES) publish();
      const entry = stored.get(name);
      if (entry === undefined) stored.set(name, { unit, values: [value] });
      else entry.values.push(value);
    },
    addWithDimensions(dimensions, name, unit, value) {
      emit({ [SERVICE_DIMENSION]: service, ...dimensions }, new Map([[name, { unit, values: [value] }]]));
    },
    publish,
  };
}
