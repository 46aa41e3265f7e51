import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { createDeliver } from '../../../functions/forwarder/deliver';
import { LeadAges, leadAgeSeconds } from '../../../functions/forwarder/report';
import type { Endpoint } from '../../../functions/shared/domain/settings';

describe('lead age at delivery', () => {
  it('is the acceptance time minus gmt_create, in seconds; none without a usable gmt_create; never negative', () => {
    const created = '2026-12-02T08:00:00.000Z';
    expect(leadAgeSeconds(created, Date.parse(created) + 4_250)).toBe(4.25);
    expect(leadAgeSeconds(created, Date.parse(created) - 3_000)).toBe(0);
    expect(leadAgeSeconds(undefined, Date.now())).toBeUndefined();
    expect(leadAgeSeconds('not a time', Date.now())).toBeUndefined();
  });

  describe('taken when a real endpoint answers', () => {
    let server: Server;
    let url: string;
    const agent = new Agent();
    beforeAll(async () => {
      server = createServer((req, res) => {
        const status = req.url === '/down' ? 503 : 200;
        setTimeout(() => res.writeHead(status).end('ok'), 150);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await agent.close();
      await new Promise((resolve) => server.close(resolve));
    });

    const endpoint = (name: string, path: string): Endpoint => ({
      name,
      url: `${url}${path}`,
      secrets: [],
      format: 'standard',
      headers: {},
      timeoutMs: 5_000,
    });

    it('for an accepted lead only, after the answer arrived', async () => {
      const ages = new LeadAges();
      const deliver = ages.wrap(createDeliver(agent));
      const created = Date.now() - 2_000;
      const lead = { id: '221985', gmt_create: new Date(created).toISOString() };
      const delivery = { lead, seenAt: new Date().toISOString() };
      expect((await deliver(endpoint('crm', '/'), delivery)).outcome).toBe('delivered');
      expect((await deliver(endpoint('bot', '/down'), delivery)).outcome).toBe('retry');
      const age = ages.ageOf('221985', 'crm')!;
      expect(age).toBeGreaterThanOrEqual(2.15);
      expect(age).toBeLessThan(4);
      expect(ages.ageOf('221985', 'bot')).toBeUndefined();
    });
  });
});
