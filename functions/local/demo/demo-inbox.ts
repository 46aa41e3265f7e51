import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord } from '../../shared/domain/is-record';
import { verify } from '../../shared/webhook/signature';

/** What the inbox shows of a lead: ids and form context, never the visitor's name or mobile in full. */
export interface InboxLead {
  id: string;
  webhookId: string;
  pageName?: string;
  source?: string;
  /** Only the last character (Alimama already masks the rest). */
  maskedName?: string;
  mobile: 'encrypted' | 'decrypted' | 'absent';
  test: boolean;
}

export interface DemoInbox {
  url: string;
  secret: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A webhook receiver on loopback that does what a CRM should: verify the Standard Webhooks
 * signature against its secret (401 when it does not match), then accept the lead. Each lead
 * that lands is handed to `onLead`; a refused request to `onRefused`.
 */
export async function startDemoInbox(handlers: {
  onLead(lead: InboxLead): void;
  onRefused(reason: string): void;
}): Promise<DemoInbox> {
  // A fresh secret per run: the inbox only ever trusts this run's forwarder.
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const server = createServer((req, res) => {
    void receive(req, res, secret, handlers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function receive(
  req: IncomingMessage,
  res: ServerResponse,
  secret: string,
  handlers: { onLead(lead: InboxLead): void; onRefused(reason: string): void },
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += bytes.length;
      if (size > MAX_BODY_BYTES) return void res.writeHead(413).end();
      chunks.push(bytes);
    }
  } catch {
    return void res.destroy();
  }
  const body = Buffer.concat(chunks).toString('utf8');
  const check = verify({ headers: req.headers, body }, [secret]);
  if (!check.ok) {
    handlers.onRefused(check.reason);
    return void res.writeHead(401, { 'content-type': 'text/plain' }).end(`signature check failed: ${check.reason}`);
  }
  const lead = describe(body, headerText(req.headers['webhook-id']));
  if (lead === undefined) {
    handlers.onRefused('the body is not a lead.created payload');
    return void res.writeHead(400, { 'content-type': 'text/plain' }).end('not a lead.created payload');
  }
  handlers.onLead(lead);
  res.writeHead(204).end();
}

function describe(body: string, webhookId: string): InboxLead | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(payload) || payload.type !== 'lead.created' || !isRecord(payload.data)) return undefined;
  const data = payload.data;
  if (typeof data.id !== 'string') return undefined;
  const lead: InboxLead = {
    id: data.id,
    webhookId,
    mobile: typeof data.mobile !== 'string' ? 'absent' : data.mobile_encrypted === false ? 'decrypted' : 'encrypted',
    test: payload.test === true,
  };
  if (typeof data.page_name === 'string') lead.pageName = data.page_name;
  if (typeof data.mm_src_cname === 'string') lead.source = data.mm_src_cname;
  if (typeof data.name === 'string' && data.name !== '') lead.maskedName = `*${data.name.slice(-1)}`;
  return lead;
}

function headerText(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** `inbox <- lead 1764… · 新半价2 · 淘积木-直通车 · *三 · mobile encrypted · signature ok` */
export function inboxLine(lead: InboxLead): string {
  const parts = [
    `inbox <- ${lead.test ? 'TEST ' : ''}lead ${lead.id}`,
    lead.pageName ?? '(no page)',
    lead.source ?? '(no source)',
  ];
  if (lead.maskedName !== undefined) parts.push(lead.maskedName);
  parts.push(`mobile ${lead.mobile}`, 'signature ok');
  return parts.join(' · ');
}
