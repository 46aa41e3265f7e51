import { chmod, mkdir } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { messageOf } from '../../shared/domain/errors';
import { localClients } from '../emulators/aws-clients';
import { ensureStateTable, startDynamoServer } from '../emulators/dynamo-server';
import { acquireLock, type LockPurpose } from './lock';
import { readSnapshot, restoreSnapshot, takeSnapshot, writeSnapshot } from './queue-snapshot';
import { ReceiveClaims } from '../runner/receive-claims';
import { pendingRewinds, readSourceItems, rewindSources, type SourceItem } from './source-checkpoint';
import { endStaleClaims } from './stale-claims';
import { LOCAL_TABLE } from '../runner/resources';
import { startSqsServer, type FauxqsServer, type LocalQueues } from '../emulators/sqs-server';
import { StateDirError, type StateDir } from './state-dir';

/**
 * The embedded DynamoDB and SQS of one state directory, opened by one process at a time:
 * the table (created on first use), both queues with the saved messages put back, and SDK
 * clients for them. `close()` saves the queues, stops both servers and frees the directory.
 */
export interface LocalStores {
  endpoints: { dynamo: string; sqs: string };
  ddb: DynamoDBClient;
  sqs: SQSClient;
  table: string;
  queues: LocalQueues;
  fauxqs: FauxqsServer;
  /**
   * For the event source on the leads queue: the messages it is handling, which a save records
   * as in flight (visible at the next start) rather than hidden for the visibility timeout.
   */
  receiveClaims: ReceiveClaims;
  /**
   * Read-only opens only: the source states the next start will put back after an unclean stop
   * (by key; undefined = deleted, so its next poll is a first run), which `status` reports.
   */
  pendingRewinds?: Map<string, SourceItem | undefined>;
  /** Writes the queues to the state directory if they changed since the last save. */
  save(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  purpose: LockPurpose;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** A saved message waiting out a backoff comes back at most this much later (`--once`: now). */
  restoreDelayCapSeconds?: number;
  /**
   * For commands that only look (`status`): nothing is written back, neither the recovery from
   * an unclean stop (rewind, which the next start applies) nor the queues on close, which
   * restoring changed (backoffs capped, receive counts reset).
   */
  readOnly?: boolean;
}

export async function openLocalStores(dir: StateDir, opts: OpenOptions): Promise<LocalStores> {
  try {
    await mkdir(dir.root, { recursive: true, mode: 0o700 });
  } catch (error) {
    // Node's own message ("EEXIST: file already exists, mkdir …") does not say which flag to change.
    throw new StateDirError(
      `cannot create the state directory ${dir.root} (${messageOf(error)}): pass --state-dir with a directory of its own`,
      { cause: error },
    );
  }
  // mkdir's mode applies only to a directory it creates: one made by hand, or by an older
  // version, may be readable by other users, and it holds the queued leads.
  await chmod(dir.root, 0o700).catch(() => undefined);
  const lock = await acquireLock(dir.lockFile, dir.root, opts.purpose);
  const cleanup: (() => Promise<void>)[] = [() => lock.release()];
  const unwind = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    // Read before anything starts: a corrupt file stops the run with the queues untouched.
    const saved = await readSnapshot(dir.queuesFile);
    const dynamo = await startDynamoServer(dir.dynamoDir);
    cleanup.push(() => dynamo.close());
    const sqsServer = await startSqsServer(opts);
    cleanup.push(() => sqsServer.close());
    const endpoints = { dynamo: dynamo.endpoint, sqs: sqsServer.endpoint };
    const { ddb, sqs } = localClients(endpoints);
    cleanup.push(() => {
      ddb.destroy();
      sqs.destroy();
      return Promise.resolve();
    });
    await ensureStateTable(ddb, LOCAL_TABLE);
    // After an unclean stop the cursor may be past leads whose messages were never saved.
    // Without a recorded list (no snapshot: a new directory, or the file was moved aside)
    // there is nothing to go by, and the sources stay as they are.
    const writes = opts.readOnly !== true;
    if (writes && saved.sources !== undefined) await rewindSources(ddb, LOCAL_TABLE, saved.sources);
    const pending =
      !writes && saved.sources !== undefined ? pendingRewinds(await readSourceItems(ddb, LOCAL_TABLE), saved.sources) : undefined;
    if (opts.purpose === 'runner') await endStaleClaims(ddb, LOCAL_TABLE);
    await restoreSnapshot(sqs, sqsServer.queues, saved, opts.restoreDelayCapSeconds);

    const receiveClaims = new ReceiveClaims(sqsServer.fauxqs, sqsServer.queues.leads.name);
    let lastSaved = JSON.stringify(saved);
    const saveNow = async (): Promise<void> => {
      // Sources first, queues second: every lead at or below a recorded cursor is then either
      // in the saved queues or already settled (see source-checkpoint.ts).
      const sources = await readSourceItems(ddb, LOCAL_TABLE);
      const snapshot = { ...takeSnapshot(sqsServer.fauxqs, sqsServer.queues, receiveClaims), sources };
      const text = JSON.stringify(snapshot);
      if (text === lastSaved) return;
      await writeSnapshot(dir.queuesFile, snapshot, text);
      lastSaved = text;
    };
    // One save at a time: a periodic save and the final one must not race on the file.
    let saving: Promise<void> = Promise.resolve();
    const save = (): Promise<void> => {
      saving = saving.catch(() => undefined).then(saveNow);
      return saving;
    };
    // Record the sources before anything can poll: from here on, a source the snapshot does
    // not list was created since the last save, and the start after a kill deletes it.
    if (writes && saved.sources === undefined) await save();
    let closed = false;
    return {
      endpoints,
      ddb,
      sqs,
      table: LOCAL_TABLE,
      pendingRewinds: pending,
      queues: sqsServer.queues,
      fauxqs: sqsServer.fauxqs,
      receiveClaims,
      save,
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          if (writes) await save();
        } finally {
          await unwind();
        }
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
