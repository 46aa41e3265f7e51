import type { Dispatcher } from 'undici';
import { createDeliver } from '../../functions/forwarder/deliver';
import type { ForwardDeps } from '../../functions/forwarder/ports';
import { LEADS_RETENTION_SECONDS } from '../../functions/local/runner/resources';
import { DynamoEndpointStatus } from '../../functions/shared/aws/endpoint-status';
import { SqsForwarderQueue } from '../../functions/shared/aws/forwarder-queue';
import { SqsLeadQueue } from '../../functions/shared/aws/lead-queue';
import { DynamoLedger } from '../../functions/shared/aws/ledger';
import type { Lead } from '../../functions/shared/domain/lead';
import type { Endpoint } from '../../functions/shared/domain/settings';
import type { LocalAwsPerTest } from './local-aws';

/**
 * The forwarder core wired to the local servers, as the connector tests run it against a vendor
 * simulator; `overrides` replaces any of it (e.g. a backoff that honours Retry-After).
 */
export function connectorForwarderDeps(
  aws: LocalAwsPerTest,
  dispatcher: Dispatcher,
  endpoints: Endpoint[],
  overrides: Partial<ForwardDeps> = {},
): ForwardDeps {
  return {
    endpoints,
    ledger: new DynamoLedger(aws.dynamo.client, aws.table),
    endpointStatus: new DynamoEndpointStatus(aws.dynamo.client, aws.table),
    queue: new SqsForwarderQueue(aws.sqs, aws.queues.queueUrl, aws.queues.dlqUrl),
    deliver: createDeliver(dispatcher),
    maxReceiveCount: 10,
    leadsRetentionSeconds: LEADS_RETENTION_SECONDS,
    concurrency: 10,
    // Retries come back at once: the tests are about what is retried, not how long it waits.
    backoffSeconds: () => 0,
    ...overrides,
  };
}

/** The plain mobile of connector lead `i`. */
export const connectorLeadMobile = (i: number): string => `1380013${String(i).padStart(4, '0')}`;

/** `n` leads with a name, a decrypted mobile and a location, ids from `start`. */
export function connectorLeads(n: number, start = 500_000): Lead[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(start + i),
    name: `**${i}`,
    mobile: connectorLeadMobile(i),
    mobile_encrypted: false,
    location: 'xx省xx市xx县',
    page_id: '5314456',
    page_name: '新半价2',
  }));
}

export function enqueueLeads(aws: LocalAwsPerTest, leads: Lead[]): Promise<unknown> {
  return new SqsLeadQueue(aws.sqs, aws.queues.queueUrl).enqueue(leads, '2026-11-29T06:00:00.000Z');
}
