/**
 * The local stand-ins for the stack's resources and the numbers that shape them. The stack's
 * numbers are mirrored here rather than imported: infra/ is a CDK app (aws-cdk-lib is a dev
 * dependency) and the runner must start without it. test/unit/cli/resources.test.ts keeps the
 * copies equal to infra/queues.ts and infra/forwarder.ts.
 */

/** Region of every local resource: the simulators accept any, the SDK needs one. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_TABLE = 'lead-forwarder-state';
export const LEADS_QUEUE = 'lead-forwarder-leads';
export const DEAD_LETTER_QUEUE = 'lead-forwarder-dead-letters';

/** infra/queues.ts MAX_RECEIVE_COUNT: receives before a lead is parked, riding out about a day of outage. */
export const STACK_MAX_RECEIVE_COUNT = 55;
/** infra/queues.ts LEADS_RETENTION (4 days) and DLQ_RETENTION (14 days), in seconds. */
export const LEADS_RETENTION_SECONDS = 4 * 86_400;
export const DLQ_RETENTION_SECONDS = 14 * 86_400;
/** infra/forwarder.ts FORWARDER_TIMEOUT (120 s) × infra/queues.ts VISIBILITY_TIMEOUT_FACTOR (6). */
export const STACK_VISIBILITY_TIMEOUT_SECONDS = 720;
/** infra/forwarder.ts FORWARDER_BATCH_SIZE. */
export const BATCH_SIZE = 10;
/** infra/forwarder.ts FORWARDER_MAX_CONCURRENCY: forwarder containers, each with one batch in flight. */
export const STACK_MAX_CONCURRENCY = 5;

/**
 * `--once` gives a lead this many attempts, a second apart, before parking it: a one-shot run
 * cannot ride out a day-long outage the way the stack's receives do, and it should end in
 * seconds, not a day.
 */
export const ONCE_MAX_RECEIVE_COUNT = 5;
/** `--once`: a failed delivery is retried after this many seconds instead of the forwarder's backoff. */
export const ONCE_RETRY_SECONDS = 1;

/** One poll's time budget, like one poller invocation (DESIGN §6: 60 s for `--once`). */
export const POLL_BUDGET_MS = 60_000;
