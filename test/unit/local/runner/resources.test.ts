import { FORWARDER_BATCH_SIZE, FORWARDER_MAX_CONCURRENCY, FORWARDER_TIMEOUT } from '../../../../infra/forwarder';
import { DLQ_RETENTION, LEADS_RETENTION, MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR } from '../../../../infra/queues';
import {
  BATCH_SIZE,
  DLQ_RETENTION_SECONDS,
  LEADS_RETENTION_SECONDS,
  STACK_MAX_CONCURRENCY,
  STACK_MAX_RECEIVE_COUNT,
  STACK_VISIBILITY_TIMEOUT_SECONDS,
} from '../../../../functions/local/runner/resources';

// The local runner mirrors the stack's queue semantics without loading the CDK app at run time.
it('gives the local queues the same redrive count, visibility timeout, retention, batch size and concurrency as the stack', () => {
  expect(STACK_MAX_RECEIVE_COUNT).toBe(MAX_RECEIVE_COUNT);
  expect(STACK_VISIBILITY_TIMEOUT_SECONDS).toBe(FORWARDER_TIMEOUT.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
  expect(LEADS_RETENTION_SECONDS).toBe(LEADS_RETENTION.toSeconds());
  expect(DLQ_RETENTION_SECONDS).toBe(DLQ_RETENTION.toSeconds());
  expect(BATCH_SIZE).toBe(FORWARDER_BATCH_SIZE);
  expect(STACK_MAX_CONCURRENCY).toBe(FORWARDER_MAX_CONCURRENCY);
});
