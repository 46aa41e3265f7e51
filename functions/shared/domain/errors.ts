/**
 * The project's error classes. Every error a caller may act on is a named subclass carrying
 * the data needed to act (a code, a list of problems) and, when it wraps another, its `cause`.
 */
export class LeadForwarderError extends Error {
  // Each subclass names itself as this does: the deployed bundles are minified, and a class's
  // own name would reach the logs as "Ma".
  override readonly name: string = 'LeadForwarderError';
}

/** Configuration that cannot be used: every problem found, listed at once. */
export class ConfigError extends LeadForwarderError {
  override readonly name: string = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A state write lost its conditional check: another poller moved the state first. Nothing was changed. */
export class StateConflictError extends LeadForwarderError {
  override readonly name: string = 'StateConflictError';
}

/** The API answered something that contradicts the paging contract; continuing could skip leads. */
export class PagingContractError extends LeadForwarderError {
  override readonly name: string = 'PagingContractError';
}

/** Some leads could not be put on the queue even after retries; the scan state was not advanced. */
export class EnqueueError extends LeadForwarderError {
  override readonly name: string = 'EnqueueError';
  constructor(
    message: string,
    readonly failedLeadIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A message on the leads queue that is not a lead this version understands. */
export class MalformedMessageError extends LeadForwarderError {
  override readonly name: string = 'MalformedMessageError';
}

/** The message of any thrown value, for logs and summaries. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `code` of a Node or undici error (ENOENT, EPIPE, UND_ERR_SOCKET, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
