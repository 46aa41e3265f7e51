import type { FauxqsServer } from '../emulators/sqs-server';

/** What a save can see of a queue: fauxqs's non-destructive inspection. */
export type QueueView = Pick<FauxqsServer, 'inspectQueue'>;

/** One message in flight, as the queue view shows it. */
export interface InflightEntry {
  receiptHandle: string;
  visibilityDeadline: number;
}

/**
 * The messages the local event source has received and not yet settled, each with the
 * visibility deadline its receive set.
 *
 * A message in flight on the leads queue is hidden for one of two reasons: the receive itself
 * (the 720 s visibility timeout, held while the forwarder works on it) or a retry backoff the
 * forwarder set with ChangeMessageVisibility. The first ends with the process that received it,
 * the second does not; a save has to tell them apart (queue-snapshot.ts), and the deadline alone
 * cannot, since a backoff may end at any time. What can: fauxqs keeps one deadline per receipt
 * handle and a ChangeMessageVisibility overwrites it, so a deadline still equal to the one read
 * right after the receive is the receive's own.
 */
export class ReceiveClaims {
  private readonly deadlines = new Map<string, number>();

  constructor(
    private readonly view: QueueView,
    private readonly queueName: string,
  ) {}

  /**
   * Called right after a receive, before the function sees the messages: their deadlines are
   * then still the ones the receive set. fauxqs runs in this process and records a message as in
   * flight before it answers the receive, so the entries are there to be read.
   */
  claim(receiptHandles: readonly string[]): void {
    const wanted = new Set(receiptHandles);
    for (const entry of this.view.inspectQueue(this.queueName)?.messages.inflight ?? []) {
      if (wanted.has(entry.receiptHandle)) this.deadlines.set(entry.receiptHandle, entry.visibilityDeadline);
    }
  }

  /** The batch is settled: whatever still hides these messages is the forwarder's doing, or SQS's. */
  release(receiptHandles: readonly string[]): void {
    for (const handle of receiptHandles) this.deadlines.delete(handle);
  }

  /**
   * True while the message is being handled and only its receive hides it: nobody changed its
   * visibility since. (A change to the very same deadline would look the same: that needs a
   * backoff of exactly the visibility timeout asked within the millisecond of the receive, and the
   * forwarder asks only after an HTTP attempt.)
   */
  heldByReceive(entry: InflightEntry): boolean {
    return this.deadlines.get(entry.receiptHandle) === entry.visibilityDeadline;
  }
}
