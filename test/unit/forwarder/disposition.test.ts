import {
  BUSY_RETRY_SECONDS,
  dispositionOf,
  EXPIRY_MARGIN_SECONDS,
  type RecordFacts,
  type RecordRules,
} from '../../../functions/forwarder/disposition';
import type { EndpointResult } from '../../../functions/forwarder/ports';

const NOW = Date.parse('2026-11-29T06:00:00Z');
const RETENTION = 4 * 86_400;
/** Backoff that shows what it was given: 10 s per attempt, or the Retry-After when there is one. */
const rules: RecordRules = {
  maxReceiveCount: 5,
  leadsRetentionSeconds: RETENTION,
  backoffSeconds: (attempt, retryAfter) => retryAfter ?? attempt * 10,
};

const delivered: EndpointResult = { endpoint: 'a', state: 'delivered', status: 200 };
const already: EndpointResult = { endpoint: 'a', state: 'already-delivered' };
const retry: EndpointResult = { endpoint: 'b', state: 'retry', reason: 'HTTP 503 from b', response: 'down for maintenance' };
const slowDown: EndpointResult = { endpoint: 'b', state: 'retry', reason: 'HTTP 429 from b', retryAfterSeconds: 120 };
const busy: EndpointResult = { endpoint: 'c', state: 'busy', reason: 'c: another attempt is in flight' };
const rejected: EndpointResult = { endpoint: 'd', state: 'rejected', reason: 'HTTP 400 from d', response: 'missing field phone' };
const gone: EndpointResult = { endpoint: 'e', state: 'gone', reason: 'HTTP 410 from e' };

/** Sent `ageSeconds` ago; undefined when SQS did not say. */
const sent = (ageSeconds: number | undefined): string | undefined =>
  ageSeconds === undefined ? undefined : String(NOW - ageSeconds * 1000);
const facts = (endpoints: EndpointResult[], receiveCount = 1, ageSeconds: number | undefined = 60): RecordFacts => ({
  endpoints,
  receiveCount,
  sentTimestamp: sent(ageSeconds),
  nowMs: NOW,
});

describe('dispositionOf (what happens to a record, DESIGN §3)', () => {
  it.each<[string, RecordFacts, ReturnType<typeof dispositionOf>]>([
    ['delivered everywhere: done', facts([delivered]), { kind: 'done' }],
    ['delivered before (a duplicate, a replay): done', facts([already, { ...delivered, endpoint: 'b' }]), { kind: 'done' }],
    ['no endpoints at all: done', facts([]), { kind: 'done' }],
    [
      'one endpoint to retry: retry after the backoff of this attempt',
      facts([delivered, retry], 3),
      { kind: 'retry', delaySeconds: 30, reason: 'HTTP 503 from b' },
    ],
    [
      'a Retry-After: the backoff is asked with it',
      facts([delivered, slowDown]),
      { kind: 'retry', delaySeconds: 120, reason: 'HTTP 429 from b' },
    ],
    [
      'busy elsewhere: retried no sooner than the busy wait',
      facts([busy]),
      { kind: 'retry', delaySeconds: BUSY_RETRY_SECONDS, reason: 'c: another attempt is in flight' },
    ],
    [
      'the longest wait asked wins',
      facts([busy, slowDown]),
      { kind: 'retry', delaySeconds: 120, reason: 'c: another attempt is in flight; HTTP 429 from b' },
    ],
    [
      'a retry while another endpoint refused: retried (the refusal waits in the ledger), naming only what is retried',
      facts([retry, rejected], 2),
      { kind: 'retry', delaySeconds: 20, reason: 'HTTP 503 from b' },
    ],
    [
      'refused and nothing to retry: parked for the refusing endpoints, their answers only in the DLQ reason',
      facts([delivered, rejected]),
      {
        kind: 'parked',
        reason: 'HTTP 400 from d',
        dlqReason: 'HTTP 400 from d — d answered: missing field phone',
        endpoints: ['d'],
      },
    ],
    [
      'gone and nothing to retry: parked',
      facts([gone, already]),
      { kind: 'parked', reason: 'HTTP 410 from e', dlqReason: 'HTTP 410 from e', endpoints: ['e'] },
    ],
    [
      'the last receive with a retry pending: parked, giving up, for every endpoint that does not have it',
      facts([delivered, retry, rejected], 5),
      {
        kind: 'parked',
        reason: 'gave up after 5 attempts: HTTP 503 from b; HTTP 400 from d',
        dlqReason:
          'gave up after 5 attempts: HTTP 503 from b; HTTP 400 from d — b answered: down for maintenance; d answered: missing field phone',
        endpoints: ['b', 'd'],
      },
    ],
    [
      'a receive past the maximum (redrive lag) gives up too',
      facts([busy], 7),
      {
        kind: 'parked',
        reason: 'gave up after 7 attempts: c: another attempt is in flight',
        dlqReason: 'gave up after 7 attempts: c: another attempt is in flight',
        endpoints: ['c'],
      },
    ],
    [
      'a retry that would come within the margin of the retention: parked now rather than dropped by SQS',
      facts([slowDown], 2, RETENTION - EXPIRY_MARGIN_SECONDS - 100),
      {
        kind: 'parked',
        reason:
          'parked after 2 attempts: the next one (in 120 s) would come after the leads queue drops the lead (3700 s from now): HTTP 429 from b',
        dlqReason:
          'parked after 2 attempts: the next one (in 120 s) would come after the leads queue drops the lead (3700 s from now): HTTP 429 from b',
        endpoints: ['b'],
      },
    ],
    [
      'a retry exactly at the margin is still a retry',
      facts([slowDown], 2, RETENTION - EXPIRY_MARGIN_SECONDS - 120),
      { kind: 'retry', delaySeconds: 120, reason: 'HTTP 429 from b' },
    ],
    [
      'an unknown send time: retried (the age cannot be judged)',
      facts([slowDown], 2, undefined),
      { kind: 'retry', delaySeconds: 120, reason: 'HTTP 429 from b' },
    ],
  ])('%s', (_case, given, expected) => {
    expect(dispositionOf(given, rules)).toEqual(expected);
  });

  it('reads an unreadable send time as unknown, not as the epoch', () => {
    expect(dispositionOf({ ...facts([retry]), sentTimestamp: 'soon' }, rules)).toEqual({
      kind: 'retry',
      delaySeconds: 10,
      reason: 'HTTP 503 from b',
    });
    expect(dispositionOf({ ...facts([retry]), sentTimestamp: '0' }, rules)).toEqual({
      kind: 'retry',
      delaySeconds: 10,
      reason: 'HTTP 503 from b',
    });
  });

  it('names an endpoint without a reason by its state', () => {
    expect(dispositionOf(facts([{ endpoint: 'x', state: 'rejected' }]), rules)).toMatchObject({
      kind: 'parked',
      reason: 'x: rejected',
    });
  });
});
