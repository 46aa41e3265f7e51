import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver for the reliability suite: a real node:http server that answers as its
 * script says and keeps, per `webhook-id`, how often the lead arrived, how often it was
 * accepted, and whether it arrived again after it had been accepted (a duplicate a Standard
 * Webhooks receiver would have to drop). "Accepted" means a 2xx was actually written to the
 * connection, not merely decided, as a real receiver commits the lead before it answers. A
 * sender that has just timed out may not see it: its close reaches this server after the
 * request did, so the write still succeeds. That is the duplicate timeouts make, and the
 * chaos test tells it from the forwarder's own (chaos.test.ts, `unexplained`).
 */

export type Behaviour =
  | { kind: 'answer'; status: number; delayMs?: number; headers?: Record<string, string> }
  /** Destroy the connection without an answer, after reading the request. */
  | { kind: 'reset' }
  /** Hold the request this long, then destroy the connection: the sender's timeout fires first. */
  | { kind: 'hang'; ms: number };

export interface LeadRecord {
  /** Requests for this lead. */
  attempts: number;
  /** 2xx answers written. */
  accepted: number;
  /** Requests that arrived after a 2xx had been written for this lead. */
  afterAccept: number;
  /**
   * Requests since the latest 2xx was written. A sender that stops at the 2xx it sees ends at 0
   * even when an earlier 2xx was lost to its timeout (that one it never saw, so it sent again).
   */
  sinceLastAccept: number;
}

export interface RecordingReceiver {
  url: string;
  /** Per webhook-id. */
  leads: Map<string, LeadRecord>;
  /** How many requests got each behaviour (`200`, `503`, `reset`, `hang`, …). */
  behaviours: Map<string, number>;
  /** Requests whose webhook-id did not name the lead in the body. */
  mismatched: number;
  requests(): number;
  close(): Promise<void>;
}

/** `decide(webhookId, attempt)` picks the behaviour for the attempt-th request (1-based) of that lead. */
export async function startRecordingReceiver(
  decide: (webhookId: string, attempt: number) => Behaviour = () => ({ kind: 'answer', status: 200 }),
): Promise<RecordingReceiver> {
  const leads = new Map<string, LeadRecord>();
  const behaviours = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const receiver: RecordingReceiver = {
    url: '',
    leads,
    behaviours,
    mismatched: 0,
    requests: () => [...leads.values()].reduce((sum, r) => sum + r.attempts, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const id = String(req.headers['webhook-id'] ?? '?');
    if (id !== `lead_${leadIdOf(body)}`) receiver.mismatched += 1;
    const record = leads.get(id) ?? { attempts: 0, accepted: 0, afterAccept: 0, sinceLastAccept: 0 };
    leads.set(id, record);
    record.attempts += 1;
    if (record.accepted > 0) {
      record.afterAccept += 1;
      record.sinceLastAccept += 1;
    }
    const behaviour = decide(id, record.attempts);
    const label = behaviour.kind === 'answer' ? String(behaviour.status) : behaviour.kind;
    behaviours.set(label, (behaviours.get(label) ?? 0) + 1);
    switch (behaviour.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        later(behaviour.ms, () => req.socket.destroy());
        return;
      case 'answer': {
        const respond = (): void => {
          // The sender gave up (its timeout) or the connection broke: nothing was delivered.
          if (res.destroyed || req.socket.destroyed) return;
          const ok = behaviour.status >= 200 && behaviour.status < 300;
          if (ok)
            res.once('finish', () => {
              record.accepted += 1;
              record.sinceLastAccept = 0;
            });
          res.writeHead(behaviour.status, behaviour.headers).end(ok ? '' : 'try later');
        };
        if (behaviour.delayMs === undefined || behaviour.delayMs <= 0) respond();
        else later(behaviour.delayMs, respond);
      }
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

function leadIdOf(body: string): string {
  try {
    const json: unknown = JSON.parse(body);
    if (
      typeof json === 'object' &&
      json !== null &&
      'data' in json &&
      typeof json.data === 'object' &&
      json.data !== null &&
      'id' in json.data
    )
      return String(json.data.id);
  } catch {
    // Not JSON: reported as a mismatch.
  }
  return '?';
}

/** Every lead each receiver got, checked against the leads that exist: what was lost, what was doubled. */
export interface DeliveryAudit {
  /** 2xx answers written, over all receivers. */
  deliveries: number;
  /** Requests, retries included. */
  attempts: number;
  /** (lead, endpoint) pairs never accepted. */
  losses: string[];
  /** (lead, endpoint) pairs accepted more than once or requested again after a 2xx. */
  duplicates: string[];
  /** Most requests any one (lead, endpoint) took. */
  maxAttempts: number;
}

export function audit(receivers: Record<string, RecordingReceiver>, leadIds: readonly string[]): DeliveryAudit {
  const result: DeliveryAudit = { deliveries: 0, attempts: 0, losses: [], duplicates: [], maxAttempts: 0 };
  for (const [name, receiver] of Object.entries(receivers)) {
    for (const [webhookId, record] of receiver.leads) {
      result.deliveries += record.accepted;
      result.attempts += record.attempts;
      result.maxAttempts = Math.max(result.maxAttempts, record.attempts);
      if (record.accepted > 1 || record.afterAccept > 0) result.duplicates.push(`${webhookId}@${name}`);
    }
    for (const id of leadIds)
      if ((receiver.leads.get(`lead_${id}`)?.accepted ?? 0) === 0) result.losses.push(`lead_${id}@${name}`);
  }
  return result;
}
