import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoEndpointStatus, type EndpointRecord } from '../../shared/aws/endpoint-status';
import { decodeSourceState, DynamoStateStore, sourceKey } from '../../shared/aws/scan-state';
import { messageOf } from '../../shared/domain/errors';
import { leadAgeQuantiles } from '../../forwarder/lead-age';
import type { ScanProgress } from '../../poller/ports';
import { defineTargetCommand, type Command } from '../command';
import { TARGET_HELP } from '../flags';
import type { Stores, Target } from '../targets/target';

const HELP = `Usage: lead-forwarder status [--json] [--state-dir DIR | --stack NAME [--region R]] [--config FILE]

Shows the cursor (every lead up to it has been enqueued), a scan in progress, the depth of the
leads queue and of the dead-letter queue, per webhook its last delivery or that it is gone
(answered 410: nothing is sent to it until its url changes), and per webhook the lead age at
delivery (accepted minus gmt_create) of its recent deliveries, p50 and p95.

  --json    the same as one JSON object

${TARGET_HELP}`;

interface QueueDepth {
  waiting: number;
  inFlight: number;
  delayed: number;
}

export interface StatusReport {
  target: string;
  cursor: string | null;
  cursorAt?: string;
  scan?: ScanProgress;
  leadsQueue: QueueDepth;
  deadLetters: number;
  endpoints: EndpointRecord[];
  /** Why the endpoints could not be listed, when they could not. */
  endpointsUnknown?: string;
  /**
   * A local runner stopped without saving (kill -9): the cursor its next start goes back to
   * (null: a first run again, from `startFrom`), so the leads above it are read again.
   */
  cursorAfterRestart?: string | null;
}

export const statusCommand: Command = defineTargetCommand({
  name: 'status',
  summary: 'cursor, scan in progress, queue and dead-letter depth, last delivery and lead age per webhook',
  help: HELP,
  flags: { json: { type: 'boolean' } },
  async run(flags, io, resolveTarget) {
    const target = await resolveTarget();
    const stores = await target.open({ readOnly: true });
    let report: StatusReport;
    try {
      report = await gather(stores, target);
    } finally {
      await stores.close();
    }
    if (flags.json === true) io.out(JSON.stringify(report));
    else for (const line of render(report)) io.out(line);
    return 0;
  },
});

async function gather(stores: Stores, target: Target): Promise<StatusReport> {
  const key = sourceKey(await target.appKey());
  const state = await new DynamoStateStore(stores.ddb, stores.table, key).load();
  const [leadsQueue, dead] = await Promise.all([depth(stores.sqs, stores.leads.url), depth(stores.sqs, stores.deadLetters.url)]);
  const report: StatusReport = {
    target: target.description,
    cursor: state.cursor ?? null,
    leadsQueue,
    deadLetters: dead.waiting + dead.inFlight + dead.delayed,
    endpoints: [],
  };
  if (state.cursorAt !== undefined) report.cursorAt = state.cursorAt;
  if (state.scan !== undefined) report.scan = state.scan;
  if (stores.pendingRewinds?.has(key) === true) {
    const restored = stores.pendingRewinds.get(key);
    report.cursorAfterRestart = restored === undefined ? null : (decodeSourceState(restored, key).cursor ?? null);
  }
  const status = new DynamoEndpointStatus(stores.ddb, stores.table);
  try {
    report.endpoints = await Promise.all((await target.endpoints()).map((endpoint) => status.get(endpoint)));
  } catch (error) {
    try {
      // Without the configuration a 410 cannot be matched to the endpoint's current url, but
      // the last deliveries can still be shown.
      report.endpoints = await Promise.all(
        (await target.endpointNames()).map((name) => status.get({ name, url: '', format: 'standard' })),
      );
      report.endpointsUnknown = `gone state not shown: ${messageOf(error)}`;
    } catch {
      report.endpointsUnknown = messageOf(error);
    }
  }
  return report;
}

async function depth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** The report as aligned lines for a person. */
export function render(report: StatusReport): string[] {
  const lines = [`target        ${report.target}`];
  lines.push(
    `cursor        ${report.cursor ?? '(none yet: the first poll sets it)'}${report.cursorAt === undefined ? '' : `  (up to date as of ${report.cursorAt})`}`,
  );
  if (report.cursorAfterRestart !== undefined) {
    const to =
      report.cursorAfterRestart === null
        ? 'no cursor: its next poll is a first run, from startFrom'
        : `cursor ${report.cursorAfterRestart}`;
    lines.push(
      `restart       the runner stopped without saving its queues: its next start goes back to ${to} and reads the leads above it again (webhooks that accepted one are skipped)`,
    );
  }
  lines.push(
    report.scan === undefined
      ? 'scan          none in progress'
      : `scan          in progress: newest ${report.scan.top}, down to ${report.scan.floor}, next page below ${report.scan.next ?? '(first page)'}`,
  );
  const q = report.leadsQueue;
  lines.push(`leads queue   ${q.waiting} waiting, ${q.inFlight} in flight or waiting to retry, ${q.delayed} delayed`);
  lines.push(
    `dead letters  ${report.deadLetters}${report.deadLetters > 0 ? '  (fix the cause, then `lead-forwarder replay`)' : ''}`,
  );
  if (report.endpoints.length === 0 && report.endpointsUnknown !== undefined)
    lines.push(`webhooks      unknown: ${report.endpointsUnknown}`);
  else if (report.endpoints.length > 0) {
    lines.push('webhooks');
    const width = Math.max(...report.endpoints.map((e) => e.name.length));
    for (const e of report.endpoints) {
      const last =
        e.lastDeliveredAt === undefined
          ? 'no delivery yet'
          : `last delivery ${e.lastDeliveredAt} (lead ${e.lastLeadId ?? '?'}${e.lastRecordId === undefined ? '' : `, record ${e.lastRecordId}`}), ${e.delivered ?? 0} delivered`;
      const gone = e.goneAt === undefined ? '' : `  GONE since ${e.goneAt} (answered 410): change its url to resume`;
      lines.push(`  ${e.name.padEnd(width)}  ${last}${gone}`);
    }
    if (report.endpointsUnknown !== undefined) lines.push(`  (${report.endpointsUnknown})`);
    const aged = report.endpoints.filter((e) => e.recentAges !== undefined && e.recentAges.length > 0);
    if (aged.length > 0) {
      lines.push('lead age      at delivery (accepted minus gmt_create), over the recent deliveries per webhook');
      for (const e of aged) {
        const ages = e.recentAges!;
        const { p50, p95 } = leadAgeQuantiles(ages)!;
        const seconds = (value: number): string => `${value.toFixed(1)} s`;
        lines.push(
          `  ${e.name.padEnd(width)}  p50 ${seconds(p50)} p95 ${seconds(p95)} over the last ${ages.length}, latest ${seconds(ages.at(-1)!)}`,
        );
      }
    }
  }
  return lines;
}
