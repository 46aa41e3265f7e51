import type { RecordOutcome } from '../../../../functions/local/report/delivery-outcomes';
import { onceSummary, Tally } from '../../../../functions/local/report/tally';

const record = (leadId: string, settled: boolean, pairs: RecordOutcome['pairs'], receiveCount = 1): RecordOutcome => ({
  messageId: `m-${leadId}-${receiveCount}`,
  leadId,
  receiveCount,
  settled,
  pairs,
});

describe('Tally', () => {
  it('counts each (lead, endpoint) once when it settles and keeps a live retry gauge', () => {
    const tally = new Tally(['crm', 'bot']);
    tally.poll({ pages: 1, fetched: 3, enqueued: 3, rejected: [], cursor: '3', scanInProgress: false });
    tally.batch([
      record('1', true, [
        { endpoint: 'crm', state: 'delivered' },
        { endpoint: 'bot', state: 'delivered' },
      ]),
      record('2', false, [
        { endpoint: 'crm', state: 'delivered' },
        { endpoint: 'bot', state: 'pending' },
      ]),
      record('3', false, [
        { endpoint: 'crm', state: 'refused', reason: 'HTTP 400' },
        { endpoint: 'bot', state: 'pending' },
      ]),
    ]);
    expect(tally.snapshot().endpoints).toEqual({
      crm: { delivered: 2, retrying: 0, retried: 0, dead: 0, skipped: 0 },
      bot: { delivered: 1, retrying: 2, retried: 2, dead: 0, skipped: 0 },
    });
    tally.batch([
      record(
        '2',
        true,
        [
          { endpoint: 'crm', state: 'already' },
          { endpoint: 'bot', state: 'delivered' },
        ],
        2,
      ),
      record(
        '3',
        true,
        [
          { endpoint: 'crm', state: 'failed', reason: 'HTTP 400' },
          { endpoint: 'bot', state: 'failed' },
        ],
        2,
      ),
    ]);
    const snapshot = tally.snapshot();
    expect(snapshot.endpoints).toEqual({
      crm: { delivered: 2, retrying: 0, retried: 0, dead: 1, skipped: 0 },
      bot: { delivered: 2, retrying: 0, retried: 2, dead: 1, skipped: 0 },
    });
    expect(onceSummary(snapshot, '3')).toEqual({
      enqueued: 3,
      delivered: 4,
      failed: 2,
      skipped: 0,
      cursor: '3',
      retried: 2,
      parked: 1,
    });
  });

  it('counts the pairs a filter kept out as skipped, apart from deliveries and failures', () => {
    const tally = new Tally(['east', 'south']);
    tally.batch([
      record('1', true, [
        { endpoint: 'east', state: 'delivered' },
        { endpoint: 'south', state: 'skipped' },
      ]),
      record('2', true, [
        { endpoint: 'east', state: 'skipped' },
        { endpoint: 'south', state: 'delivered' },
      ]),
      record('3', true, [
        { endpoint: 'east', state: 'skipped' },
        { endpoint: 'south', state: 'skipped' },
      ]),
    ]);
    expect(tally.snapshot().endpoints).toEqual({
      east: { delivered: 1, retrying: 0, retried: 0, dead: 0, skipped: 2 },
      south: { delivered: 1, retrying: 0, retried: 0, dead: 0, skipped: 2 },
    });
    expect(onceSummary(tally.snapshot(), '3')).toMatchObject({ delivered: 2, failed: 0, skipped: 4, parked: 0 });
  });

  it('adds the error to the summary of a failed poll', () => {
    const tally = new Tally(['crm']);
    tally.pollFailed();
    expect(onceSummary(tally.snapshot(), null, 'TOP error 27')).toEqual({
      enqueued: 0,
      delivered: 0,
      failed: 0,
      skipped: 0,
      cursor: null,
      retried: 0,
      parked: 0,
      error: 'TOP error 27',
    });
    expect(tally.snapshot()).toMatchObject({ polls: 1, pollErrors: 1 });
  });
});
