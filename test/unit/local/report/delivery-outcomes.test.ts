import type { SQSRecord } from 'aws-lambda';
import type { BatchResult } from '../../../../functions/forwarder/forward';
import type { EndpointState } from '../../../../functions/forwarder/ports';
import {
  leadIdOf,
  outcomesOf,
  pairState,
  pairStateOf,
  type LedgerView,
} from '../../../../functions/local/report/delivery-outcomes';
import { statusLine } from '../../../../functions/local/report/progress';
import { onceSummary, Tally } from '../../../../functions/local/report/tally';

const started = Date.parse('2026-11-29T06:00:00.000Z');

describe('pairState', () => {
  it.each<[string, LedgerView | undefined, boolean, string]>([
    ['delivered during this batch', { status: 'delivered', deliveredAt: '2026-11-29T06:00:00.500Z' }, false, 'delivered'],
    [
      'delivered during this batch, another endpoint retries',
      { status: 'delivered', deliveredAt: '2026-11-29T06:00:01.000Z' },
      true,
      'delivered',
    ],
    [
      'delivered before (a re-send the ledger stopped)',
      { status: 'delivered', deliveredAt: '2026-11-29T05:59:59.999Z' },
      false,
      'already',
    ],
    ['claim released for a retry', undefined, true, 'pending'],
    ['refused while another endpoint retries', { status: 'rejected', reason: 'HTTP 400' }, true, 'refused'],
    ['refused and the message left the queue', { status: 'rejected', reason: 'HTTP 400' }, false, 'failed'],
    ['nothing recorded and the message left the queue (gone, or attempts exhausted)', undefined, false, 'failed'],
    ['a delivered record without a time is not this batch', { status: 'delivered' }, false, 'already'],
  ])('%s', (_case, view, stillQueued, expected) => {
    expect(pairState(view, stillQueued, started)).toBe(expected);
  });

  // A gone endpoint (it answered 410) is sent nothing more: no retry to wait for.
  it.each<[string, LedgerView | undefined, boolean, string]>([
    ['gone while another endpoint retries: refused, not pending', undefined, true, 'refused'],
    ['gone and the message left the queue: failed', undefined, false, 'failed'],
    [
      'gone after it had the lead: still delivered before',
      { status: 'delivered', deliveredAt: '2026-11-29T05:00:00.000Z' },
      false,
      'already',
    ],
  ])('%s', (_case, view, stillQueued, expected) => {
    expect(pairState(view, stillQueued, started, true)).toBe(expected);
  });
});

describe('leadIdOf', () => {
  it('reads a decimal id and nothing else', () => {
    expect(leadIdOf('{"id":"221985"}')).toBe('221985');
    expect(leadIdOf('{"id":221985}')).toBeUndefined();
    expect(leadIdOf('not json')).toBeUndefined();
    expect(leadIdOf('[1]')).toBeUndefined();
  });
});

describe('outcomesOf: the forwarder’s own account, counted as the --once summary counts it', () => {
  const endpoints = [{ name: 'crm' }, { name: 'erp' }];
  const record = (messageId: string, body: string, receiveCount = '1'): SQSRecord =>
    ({ messageId, body, attributes: { ApproximateReceiveCount: receiveCount } }) as unknown as SQSRecord;
  const records = [
    record('m1', '{"id":"1"}'),
    record('m2', '{"id":"2"}', '2'),
    record('m3', 'not json'),
    record('m4', '{"id":"4"}'),
  ];
  const result: BatchResult = {
    failures: ['m2'],
    records: [
      {
        messageId: 'm1',
        leadId: '1',
        kind: 'done',
        attempt: 1,
        endpoints: [
          { endpoint: 'crm', state: 'delivered', ageSeconds: 2.5 },
          { endpoint: 'erp', state: 'skipped' },
        ],
      },
      {
        messageId: 'm2',
        leadId: '2',
        kind: 'retry',
        attempt: 2,
        endpoints: [
          { endpoint: 'crm', state: 'already-delivered' },
          { endpoint: 'erp', state: 'retry', reason: 'HTTP 503 from erp' },
        ],
      },
      { messageId: 'm3', kind: 'parked', attempt: 1, reason: 'malformed message: not JSON', endpoints: [], malformed: true },
      {
        messageId: 'm4',
        leadId: '4',
        kind: 'parked',
        attempt: 1,
        endpoints: [
          { endpoint: 'crm', state: 'rejected', reason: 'HTTP 422 from crm' },
          { endpoint: 'erp', state: 'gone', reason: 'HTTP 410 from erp', goneAt: '2026-11-29T06:00:00.000Z' },
        ],
      },
    ],
  };

  it('classifies every pair without reading anything', () => {
    const outcomes = outcomesOf(endpoints, { records, failed: new Set(['m2']) }, result);
    expect(outcomes).toEqual([
      {
        messageId: 'm1',
        leadId: '1',
        receiveCount: 1,
        settled: true,
        pairs: [
          // Lead age as the forwarder took it when the 2xx arrived.
          { endpoint: 'crm', state: 'delivered', ageSeconds: 2.5 },
          { endpoint: 'erp', state: 'skipped' },
        ],
      },
      {
        messageId: 'm2',
        leadId: '2',
        receiveCount: 2,
        settled: false,
        pairs: [
          { endpoint: 'crm', state: 'already' },
          { endpoint: 'erp', state: 'pending' },
        ],
      },
      {
        messageId: 'm3',
        receiveCount: 1,
        settled: true,
        pairs: [
          { endpoint: 'crm', state: 'failed', reason: 'malformed message: not JSON' },
          { endpoint: 'erp', state: 'failed', reason: 'malformed message: not JSON' },
        ],
      },
      {
        messageId: 'm4',
        leadId: '4',
        receiveCount: 1,
        settled: true,
        pairs: [
          { endpoint: 'crm', state: 'failed', reason: 'HTTP 422 from crm' },
          { endpoint: 'erp', state: 'failed', goneAt: '2026-11-29T06:00:00.000Z' },
        ],
      },
    ]);
    // What `--once` prints and the status line shows: delivered / failed / skipped counts.
    const tally = new Tally(['crm', 'erp']);
    tally.batch(outcomes!);
    expect(onceSummary(tally.snapshot(), '4')).toMatchObject({ delivered: 1, failed: 4, skipped: 1, retried: 1, parked: 2 });
    expect(statusLine(tally.snapshot())).toContain(
      'crm 1 delivered, 0 retrying, 2 dead, age p50 2.5 s p95 2.5 s | erp 0 delivered, 1 retrying, 2 dead, 1 skipped',
    );
  });

  it('gives up (so the ledger is read) when the result misses a record of the batch', () => {
    expect(
      outcomesOf(endpoints, { records, failed: new Set() }, { failures: [], records: result.records.slice(1) }),
    ).toBeUndefined();
  });

  it.each<[EndpointState, boolean, string]>([
    ['delivered', false, 'delivered'],
    ['already-delivered', true, 'already'],
    ['skipped', false, 'skipped'],
    ['retry', true, 'pending'],
    ['busy', true, 'pending'],
    ['retry', false, 'failed'],
    ['busy', false, 'failed'],
    ['rejected', true, 'refused'],
    ['rejected', false, 'failed'],
    ['gone', true, 'refused'],
    ['gone', false, 'failed'],
  ])('%s, still queued %s: %s', (state, stillQueued, expected) => {
    expect(pairStateOf(state, stillQueued)).toBe(expected);
  });
});
