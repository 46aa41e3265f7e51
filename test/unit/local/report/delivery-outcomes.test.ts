import { leadIdOf, pairState, type LedgerView } from '../../../../functions/local/report/delivery-outcomes';

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
