import { Agent, request } from 'undici';
import { inboxLine, startDemoInbox, type DemoInbox, type InboxLead } from '../../../../functions/local/demo/demo-inbox';
import { normalizeLead, type Lead } from '../../../../functions/shared/domain/lead';
import { generateLeads } from '../../../../functions/local/simulators/alimama-gateway';
import { renderRequest } from '../../../../functions/shared/webhook/formats';

// The demo's inbox is what a CRM should be: it takes a lead only with a valid signature.

const landed: InboxLead[] = [];
const refused: string[] = [];
const dispatcher = new Agent();
let inbox: DemoInbox;

beforeAll(async () => {
  inbox = await startDemoInbox({ onLead: (lead) => landed.push(lead), onRefused: (reason) => refused.push(reason) });
});
afterAll(async () => {
  await inbox.close();
  await dispatcher.close();
});

function lead(): Lead {
  // A full name, as a receiver might see after a source stops masking: the inbox must still mask it.
  const result = normalizeLead({ ...generateLeads(1, { seed: 'inbox' })[0], name: '张小三' });
  if (!result.ok) throw new Error(result.problem);
  return result.lead;
}

async function post(secrets: string[]): Promise<number> {
  const rendered = renderRequest(
    { name: 'demo-inbox', url: inbox.url, secrets, headers: {}, format: 'standard', timeoutMs: 2_000 },
    { lead: lead(), seenAt: new Date().toISOString() },
    new Date(),
  );
  const response = await request(rendered.url, { method: 'POST', headers: rendered.headers, body: rendered.body, dispatcher });
  await response.body.text();
  return response.statusCode;
}

it('accepts a signed lead and shows it without the name or mobile', async () => {
  expect(await post([inbox.secret])).toBe(204);
  const shown = landed.at(-1)!;
  expect(shown).toMatchObject({ id: '221985', webhookId: 'lead_221985', mobile: 'encrypted', test: false });
  const line = inboxLine(shown);
  expect(line).toContain('lead 221985');
  expect(line).toContain('signature ok');
  expect(line).toContain('*三');
  expect(line).not.toContain('张小三');
  expect(line).not.toContain(lead().mobile!);
});

it('refuses an unsigned lead and one signed with another secret', async () => {
  expect(await post([])).toBe(401);
  expect(await post(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'])).toBe(401);
  expect(refused).toEqual(['missing webhook-id, webhook-timestamp or webhook-signature', 'no signature matches']);
});
