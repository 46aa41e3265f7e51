/**
 * Writes that must not overlap, one lane per key: each waits for the one before it in its lane
 * and none waits for another lane. A vendor that refuses concurrent writes to one object (Feishu
 * Bitable answers 1254291 to a second write to a table in progress) then sees one at a time from
 * this process, instead of conflicts that each cost the lead a trip back through the queue.
 * Other processes (concurrent Lambda containers) can still overlap; their conflicts are retried.
 */
export class WriteLanes {
  /** Key → the lane's last write (settled either way); gone once the lane is idle. */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, write: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(write);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Lanes with a write in progress or waiting (for tests and diagnostics). */
  get busy(): number {
    return this.tails.size;
  }
}

/** The process's lanes: a Lambda container's writes to one table go one at a time. */
export const processWriteLanes = new WriteLanes();
