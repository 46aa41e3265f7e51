import type { RecordOutcome } from '../../../../functions/local/report/delivery-outcomes';
import { batchLines, createReporter, statusLine } from '../../../../functions/local/report/progress';
import { Tally } from '../../../../functions/local/report/tally';

const outcomes: RecordOutcome[] = [
  { messageId: 'm1', leadId: '1', receiveCount: 1, settled: true, pairs: [{ endpoint: 'crm', state: 'delivered' }] },
  { messageId: 'm2', leadId: '2', receiveCount: 2, settled: false, pairs: [{ endpoint: 'crm', state: 'pending' }] },
  {
    messageId: 'm3',
    leadId: '3',
    receiveCount: 1,
    settled: true,
    pairs: [{ endpoint: 'crm', state: 'failed', reason: 'HTTP 400 from crm: bad' }],
  },
];

it('prints a total per batch and one line per lead that was not simply delivered', () => {
  expect(batchLines(outcomes, false)).toEqual([
    'forwarded 3 leads: crm 1 delivered, 1 retrying, 1 dead',
    "lead 2: attempt 2 failed for crm (the handlers' log says why); retrying later",
    'lead 3: parked in the dead-letter queue, not delivered to crm (HTTP 400 from crm: bad); fix the endpoint, then run `lead-forwarder replay`',
  ]);
  // On a terminal the status line carries the totals.
  expect(batchLines(outcomes, true)).toHaveLength(2);
});

it('says an endpoint that answered 410 is marked GONE, parked or refused, rather than pointing at the log', () => {
  const gone = '2026-11-29T06:00:00.000Z';
  expect(
    batchLines(
      [
        {
          messageId: 'm4',
          leadId: '4',
          receiveCount: 1,
          settled: true,
          pairs: [
            { endpoint: 'crm', state: 'delivered' },
            { endpoint: 'old', state: 'failed', goneAt: gone },
          ],
        },
        {
          messageId: 'm5',
          leadId: '5',
          receiveCount: 1,
          settled: false,
          pairs: [
            { endpoint: 'crm', state: 'pending' },
            { endpoint: 'old', state: 'refused', goneAt: gone },
          ],
        },
        {
          messageId: 'm6',
          leadId: '6',
          receiveCount: 3,
          settled: true,
          pairs: [
            { endpoint: 'crm', state: 'failed', reason: 'HTTP 422 from crm: no' },
            { endpoint: 'old', state: 'failed', goneAt: gone },
          ],
        },
      ],
      true,
    ),
  ).toEqual([
    'lead 4: parked in the dead-letter queue, not delivered to old (it answered HTTP 410 Gone: marked GONE, no more deliveries to it until its url changes; `lead-forwarder status` shows it); give it its new url (or remove it from the config), then run `lead-forwarder replay`',
    "lead 5: attempt 1 failed for crm (the handlers' log says why); retrying later; old refused it (it answered HTTP 410 Gone: marked GONE, no more deliveries to it until its url changes; `lead-forwarder status` shows it)",
    'lead 6: parked in the dead-letter queue, not delivered to crm (HTTP 422 from crm: no); old (it answered HTTP 410 Gone: marked GONE, no more deliveries to it until its url changes; `lead-forwarder status` shows it); fix the endpoint, then run `lead-forwarder replay`',
  ]);
});

it('keeps a live status line below the events on a terminal, and plain lines elsewhere', () => {
  const tty = {
    text: '',
    isTTY: true,
    columns: 200,
    write(s: string) {
      this.text += s;
    },
  };
  const err = {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
  const reporter = createReporter(tty, err);
  const tally = new Tally(['crm']);
  reporter.status(tally.snapshot(), { queued: 2, dead: 0 });
  reporter.line('inbox <- lead 1');
  expect(tty.text).toBe(
    `\r\x1b[2K${statusLine(tally.snapshot(), { queued: 2, dead: 0 })}\r\x1b[2Kinbox <- lead 1\n${statusLine(tally.snapshot(), { queued: 2, dead: 0 })}`,
  );

  const plain = {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
  const quiet = createReporter(plain, err);
  quiet.status(tally.snapshot());
  quiet.line('inbox <- lead 1');
  expect(plain.text).toBe('inbox <- lead 1\n');
});

it('says how many leads a filter kept out, in the batch line and the status line, only where it kept some out', () => {
  const outcomes: RecordOutcome[] = [
    {
      messageId: 'm1',
      leadId: '1',
      receiveCount: 1,
      settled: true,
      pairs: [
        { endpoint: 'east', state: 'delivered' },
        { endpoint: 'south', state: 'skipped' },
      ],
    },
    {
      messageId: 'm2',
      leadId: '2',
      receiveCount: 1,
      settled: true,
      pairs: [
        { endpoint: 'east', state: 'skipped' },
        { endpoint: 'south', state: 'skipped' },
      ],
    },
  ];
  expect(batchLines(outcomes, false)).toEqual(['forwarded 2 leads: east 1 delivered, 1 skipped; south, 2 skipped']);
  const tally = new Tally(['east', 'south', 'crm']);
  tally.batch(outcomes);
  expect(statusLine(tally.snapshot())).toBe(
    'polls 0 · fetched 0 · enqueued 0 · cursor - | east 1 delivered, 0 retrying, 0 dead, 1 skipped | south 0 delivered, 0 retrying, 0 dead, 2 skipped | crm 0 delivered, 0 retrying, 0 dead',
  );
});

it('shows polls, cursor, queues and every endpoint in the status line', () => {
  const tally = new Tally(['crm', 'bot']);
  tally.poll({ pages: 1, fetched: 5, enqueued: 4, rejected: [], cursor: '9', scanInProgress: false });
  expect(statusLine(tally.snapshot(), { queued: 1, dead: 2 })).toBe(
    'polls 1 · fetched 5 · enqueued 4 · cursor 9 · queue 1 · dlq 2 | crm 0 delivered, 0 retrying, 0 dead | bot 0 delivered, 0 retrying, 0 dead',
  );
});

it('shows the median and p95 lead age at delivery of the recent deliveries per endpoint, once there are some', () => {
  const tally = new Tally(['crm', 'bot']);
  const delivered = (id: string, ageSeconds: number): RecordOutcome => ({
    messageId: `m${id}`,
    leadId: id,
    receiveCount: 1,
    settled: true,
    pairs: [{ endpoint: 'crm', state: 'delivered', ageSeconds }],
  });
  tally.batch([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((age) => delivered(String(age), age * 0.5)));
  expect(statusLine(tally.snapshot())).toBe(
    'polls 0 · fetched 0 · enqueued 0 · cursor - | crm 10 delivered, 0 retrying, 0 dead, age p50 2.5 s p95 5.0 s | bot 0 delivered, 0 retrying, 0 dead',
  );
  // Recent ones only: a slow start does not stay in the figures.
  tally.batch(Array.from({ length: 150 }, (_, i) => delivered(String(100 + i), 1)));
  expect(tally.snapshot().endpoints.crm!.recentAges).toHaveLength(100);
  expect(statusLine(tally.snapshot())).toContain('crm 160 delivered, 0 retrying, 0 dead, age p50 1.0 s p95 1.0 s');
});
