import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Endpoint, TopSettings } from '../../shared/domain/settings';

/** The table and queues of a pipeline, local or deployed, as the operator commands use them. */
export interface Stores {
  ddb: DynamoDBClient;
  sqs: SQSClient;
  table: string;
  leads: { url: string; arn: string };
  deadLetters: { url: string; arn: string };
  /**
   * A stopped local runner opened read-only, after an unclean stop: the source items its next
   * start will put back (undefined: deleted). See local/state/source-checkpoint.ts.
   */
  pendingRewinds?: ReadonlyMap<string, Record<string, AttributeValue> | undefined>;
  /** Releases the clients; for a stopped local runner also saves the queues and frees the directory. */
  close(): Promise<void>;
}

/**
 * Where an operator command acts: the local state directory or a deployed stack. Everything
 * is read lazily, so that a command asks only for what it needs (send-test-lead never opens the
 * table, status needs no TOP secret).
 */
export interface Target {
  kind: 'local' | 'aws';
  /** For output: "local state in /…/.lead-forwarder (runner running, pid 123)", "stack X in eu-west-1". */
  description: string;
  /** Who forwards replayed leads, and when. */
  forwarding: string;
  /** `readOnly`: the command only looks; a stopped local directory is then not written back. */
  open(opts?: { readOnly?: boolean }): Promise<Stores>;
  /** The app key that names the source's state item (sourceKey). */
  appKey(): Promise<string>;
  /** The configured webhooks, validated. */
  endpoints(): Promise<Endpoint[]>;
  /** Their names, known in more cases than the full configuration (a stopped demo). */
  endpointNames(): Promise<string[]>;
  /** TOP settings with the secrets, for calls to the gateway (reset-cursor --to latest). */
  top(): Promise<TopSettings>;
}
