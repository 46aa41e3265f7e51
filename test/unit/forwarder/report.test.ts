import type { BatchResult } from '../../../functions/forwarder/forward';
import type { EndpointResult } from '../../../functions/forwarder/ports';
import { reportBatch } from '../../../functions/forwarder/report';
import { REASON_CLASSES } from '../../../functions/shared/webhook/connectors/types';
import { NEEDS_OPERATOR } from '../../../functions/shared/observability/needs-operator';
import { createLogger, createMetrics, OBSERVABILITY_ENV } from '../../../functions/shared/observability/observability';
import { capture, type Line } from '../../support/powertools-capture';

/** What the forwarder's report of a batch writes, with the handlers' own Powertools logger and metrics. */

const ENV = { [OBSERVABILITY_ENV.service]: 'shop-a', [OBSERVABILITY_ENV.namespace]: 'LeadForwarder' };

function report(result: BatchResult): { out: Line[]; err: Line[] } {
  return capture(ENV, () => {
    const metrics = createMetrics();
    reportBatch(result, createLogger(), metrics);
    metrics.publishStoredMetrics();
  });
}

/** The NeedsOperator values in the EMF documents (a number, or a list of them when counted more than once). */
const needsOperatorCount = (lines: Line[]): number =>
  lines
    .filter((line) => '_aws' in line)
    .flatMap((line) => [line.NeedsOperator ?? []].flat())
    .reduce((sum: number, value) => sum + Number(value), 0);

describe("the forwarder's report of a batch", () => {
  it('counts NeedsOperator for each lead parked, each lead it failed to park, each mobile that did not decrypt, and names the cause on its log line', () => {
    const { out, err } = report({
      failures: ['m2'],
      records: [
        { messageId: 'm1', leadId: '101', kind: 'parked', reason: 'crm: 422', attempt: 1, endpoints: [] },
        {
          messageId: 'm2',
          leadId: '102',
          kind: 'retry',
          parkFailed: true,
          reason: 'parking failed (x): crm: 422',
          attempt: 55,
          endpoints: [],
        },
        { messageId: 'm3', leadId: '103', kind: 'done', mobileDecryptFailed: true, attempt: 1, endpoints: [] },
        { messageId: 'm4', leadId: '104', kind: 'retry', reason: 'crm: 503', delaySeconds: 10, attempt: 2, endpoints: [] },
      ],
    });
    expect(needsOperatorCount(out)).toBe(3);
    const causes = [...out, ...err].filter((line) => 'needsOperator' in line).map((line) => [line.leadId, line.needsOperator]);
    expect(causes.sort()).toEqual([
      ['101', NEEDS_OPERATOR.leadParked],
      ['102', NEEDS_OPERATOR.leadParked],
      ['103', NEEDS_OPERATOR.mobileNotDecrypted],
    ]);
  });

  it('counts nothing for a batch that went through or only waits for a retry', () => {
    const { out } = report({
      failures: ['m1'],
      records: [
        { messageId: 'm1', leadId: '101', kind: 'retry', reason: 'crm: 503', delaySeconds: 10, attempt: 2, endpoints: [] },
        { messageId: 'm2', leadId: '102', kind: 'done', attempt: 1, endpoints: [{ endpoint: 'crm', state: 'delivered' }] },
      ],
    });
    expect(needsOperatorCount(out)).toBe(0);
  });

  it('names the reason class on the log line of every failed delivery, retried or rejected, and on no delivered one', () => {
    // Every class, as a retry and as a refusal, beside one delivery that went through: the README
    // tells operators to read "the log's reason class" to tell a rotated token from a wrong field.
    const failed: EndpointResult[] = REASON_CLASSES.flatMap((reasonClass): EndpointResult[] => [
      { endpoint: `retry-${reasonClass}`, state: 'retry', status: 503, reason: `crm said ${reasonClass}`, reasonClass },
      { endpoint: `rejected-${reasonClass}`, state: 'rejected', status: 400, reason: `crm said ${reasonClass}`, reasonClass },
    ]);
    const { out, err } = report({
      failures: ['m1'],
      records: [
        {
          messageId: 'm1',
          leadId: '101',
          kind: 'retry',
          reason: 'crm: retry',
          delaySeconds: 10,
          attempt: 2,
          endpoints: [...failed, { endpoint: 'crm', state: 'delivered', status: 200, recordId: 'rec1' }],
        },
      ],
    });
    const byEndpoint = new Map(
      // Log lines only: the EMF documents carry `endpoint` too, as a dimension.
      [...out, ...err]
        .filter((line) => typeof line.endpoint === 'string' && 'message' in line)
        .map((line) => [line.endpoint, line]),
    );
    for (const reasonClass of REASON_CLASSES) {
      expect(byEndpoint.get(`retry-${reasonClass}`)).toMatchObject({
        message: 'delivery will be retried',
        leadId: '101',
        reasonClass,
        reason: `crm said ${reasonClass}`,
      });
      expect(byEndpoint.get(`rejected-${reasonClass}`)).toMatchObject({
        level: 'ERROR',
        message: 'delivery rejected',
        leadId: '101',
        reasonClass,
        reason: `crm said ${reasonClass}`,
      });
    }
    const delivered = byEndpoint.get('crm');
    expect(delivered).toMatchObject({ message: 'lead delivered', recordId: 'rec1' });
    expect(delivered).not.toHaveProperty('reasonClass');
  });
});
