import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseForwarderSettings } from '../../functions/shared/config/parse-settings';
import { prepareDelivery } from '../../functions/shared/webhook/prepare';
import { sampleDelivery, sampleLead } from './shared/webhook/fixtures';

/** The README's "Shape the request" examples are what users copy: each must be a valid Webhooks value that does what the text says. */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = README.slice(README.indexOf('## Shape the request'), README.indexOf('### Larger Webhooks values'));
const examples = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => parseForwarderSettings({ webhooks: JSON.parse(match[1]!) as unknown }).webhooks,
);

describe('README "Shape the request"', () => {
  it('has the three worked examples, each a valid Webhooks value', () => {
    expect(examples.map((endpoints) => endpoints.map((e) => e.name))).toEqual([
      ['legacy-crm'],
      ['sales-api'],
      ['team-east', 'team-south', 'crm'],
    ]);
  });

  it('the legacy form keeps a long id whole, sends the extra fields as JSON text and leaves out a missing location', async () => {
    const [legacy] = examples[0]!;
    const delivery = sampleDelivery({ lead: sampleLead({ id: '9007199254740993123', location: undefined }) });
    const prepared = await prepareDelivery(legacy!, delivery);
    if (prepared.kind !== 'send') throw new Error(`expected a request, got ${prepared.kind}`);
    const form = new URLSearchParams(prepared.delivery.body);
    expect(form.get('lead_no')).toBe('9007199254740993123');
    expect(form.get('customer')).toBe('**三');
    expect(JSON.parse(form.get('extra')!)).toEqual([{ code: 'sex', label: '性别', value: '男' }]);
    expect(form.has('area')).toBe(false);
  });

  it('the OAuth PUT is keyed by the webhook id', async () => {
    const [api] = examples[1]!;
    expect(api).toMatchObject({ method: 'PUT', auth: { type: 'oauth2' } });
    const prepared = await prepareDelivery(api!, sampleDelivery());
    if (prepared.kind !== 'send') throw new Error(`expected a request, got ${prepared.kind}`);
    expect(JSON.parse(prepared.delivery.body!)).toMatchObject({ externalId: 'lead_221985', contact: { name: '**三' } });
  });

  it.each([
    ['5314456', 'team-east'],
    ['5320001', 'team-south'],
    ['5399999', 'crm'],
  ])('routes a lead of page %s to %s only', async (pageId, expected) => {
    const delivery = sampleDelivery({ lead: sampleLead({ page_id: pageId }) });
    const kinds = await Promise.all(
      examples[2]!.map(async (endpoint) => [endpoint.name, (await prepareDelivery(endpoint, delivery)).kind] as const),
    );
    expect(kinds.filter(([, kind]) => kind === 'send').map(([name]) => name)).toEqual([expected]);
    expect(kinds.filter(([, kind]) => kind === 'skip')).toHaveLength(2);
  });
});
