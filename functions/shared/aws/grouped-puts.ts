import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { LeadForwarderError } from '../domain/errors';

/** BatchWriteItem takes at most this many items a call. */
const MAX_ITEMS_PER_CALL = 25;
/**
 * Calls per item before an item DynamoDB keeps leaving unprocessed (throttling) fails. The SDK
 * retries a call that fails as a whole; items left unprocessed are this module's to retry.
 */
const MAX_ROUNDS = 6;
/** The first wait before items left unprocessed are sent again; it doubles each round (full jitter). */
const FIRST_WAIT_MS = 25;

/** Items DynamoDB left unprocessed after every round. */
export class UnprocessedPutError extends LeadForwarderError {
  override readonly name: string = 'UnprocessedPutError';
}

type Item = Record<string, AttributeValue>;

interface Waiting {
  item: Item;
  key: string;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Unconditional puts to one table, committed in groups: a put waits only for the write in
 * flight (if any) and then goes with every put that arrived meanwhile, in one BatchWriteItem.
 * Each put's promise settles when its own item is written (or has failed), exactly as a
 * PutItem's would; under load N puts cost ~N/25 calls instead of N, and alone a put costs one
 * call as before. Only for puts that need no condition: BatchWriteItem checks none.
 */
export class GroupedPuts {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly keyOf: (item: Item) => string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  put(item: Item): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, key: this.keyOf(item), resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    const group = this.takeGroup();
    void this.write(group).finally(() => {
      this.writing = false;
      this.next();
    });
  }

  /** Up to 25 puts, one per key (a BatchWriteItem may not name a key twice; a later put of the same key waits its turn). */
  private takeGroup(): Waiting[] {
    const keys = new Set<string>();
    const group: Waiting[] = [];
    for (let i = 0; i < this.waiting.length && group.length < MAX_ITEMS_PER_CALL;) {
      const entry = this.waiting[i]!;
      if (keys.has(entry.key)) {
        i += 1;
        continue;
      }
      keys.add(entry.key);
      group.push(entry);
      this.waiting.splice(i, 1);
    }
    return group;
  }

  private async write(group: Waiting[]): Promise<void> {
    let left = group;
    for (let round = 1; left.length > 0; round += 1) {
      let unprocessed: WriteRequest[];
      try {
        const { UnprocessedItems } = await this.ddb.send(
          new BatchWriteItemCommand({
            RequestItems: { [this.table]: left.map(({ item }) => ({ PutRequest: { Item: item } })) },
          }),
        );
        unprocessed = UnprocessedItems?.[this.table] ?? [];
      } catch (error) {
        for (const entry of left) entry.reject(error);
        return;
      }
      const pending = new Set(
        unprocessed.flatMap((request) => (request.PutRequest?.Item ? [this.keyOf(request.PutRequest.Item)] : [])),
      );
      for (const entry of left) if (!pending.has(entry.key)) entry.resolve();
      left = left.filter((entry) => pending.has(entry.key));
      if (left.length === 0) return;
      if (round >= MAX_ROUNDS) {
        const error = new UnprocessedPutError(`DynamoDB left ${left.length} item(s) unprocessed ${MAX_ROUNDS} times (throttled)`);
        for (const entry of left) entry.reject(error);
        return;
      }
      await this.sleep(Math.ceil(Math.random() * FIRST_WAIT_MS * 2 ** (round - 1)));
    }
  }
}
