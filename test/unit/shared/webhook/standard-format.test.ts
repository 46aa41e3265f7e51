import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { version } from '../../../../package.json';
import { renderRequest } from '../../../../functions/shared/webhook/formats';
import { interpretResponse } from '../../../../functions/shared/webhook/formats/standard';
import { webhookIdOf } from '../../../../functions/shared/webhook/delivery';
import { endpoint, sampleDelivery, sampleLead } from './fixtures';

const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

describe('standard format', () => {
  const now = new Date();

  it('renders exactly the DESIGN §3 payload, serialized once', () => {
    const delivery = sampleDelivery();
    const request = renderRequest(endpoint('standard'), delivery, now);
    expect(request.url).toBe('https://example.test/hook?key=k1');
    expect(request.body).toBe(
      JSON.stringify({ type: 'lead.created', timestamp: '2026-11-29T06:00:00.000Z', data: sampleLead() }),
    );
  });

  it('sets the Standard Webhooks headers: stable id, send-time timestamp, content type, user agent', () => {
    const request = renderRequest(endpoint('standard'), sampleDelivery(), new Date('2026-11-29T07:00:00.900Z'));
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      'user-agent': `alimama-lead-forwarder/${version}`,
      'webhook-id': 'lead_221985',
      'webhook-timestamp': String(Date.parse('2026-11-29T07:00:00Z') / 1000),
    });
  });

  it('omits webhook-signature without a secret', () => {
    expect(renderRequest(endpoint('standard'), sampleDelivery(), now).headers).not.toHaveProperty('webhook-signature');
  });

  it('signs so that the standardwebhooks library verifies the delivery, with each secret while rotating', () => {
    const [current, previous] = [secret(), secret()];
    const request = renderRequest(endpoint('standard', { secrets: [current, previous] }), sampleDelivery(), now);
    for (const key of [current, previous]) {
      expect(new Webhook(key).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
    }
  });

  it('marks a test send in the payload and gives it a distinct webhook-id', () => {
    const delivery = sampleDelivery({ test: true });
    const request = renderRequest(endpoint('standard', { secrets: [secret()] }), delivery, now);
    expect(JSON.parse(request.body)).toEqual({
      type: 'lead.created',
      test: true,
      timestamp: delivery.seenAt,
      data: delivery.lead,
    });
    expect(request.headers['webhook-id']).toBe('test_221985');
    expect(webhookIdOf(delivery)).not.toBe(webhookIdOf(sampleDelivery()));
  });

  it('merges custom headers but never lets them replace its own', () => {
    const key = secret();
    const request = renderRequest(
      endpoint('standard', {
        secrets: [key],
        headers: {
          Authorization: 'Bearer t',
          'X-Tenant': 'acme',
          'Webhook-Id': 'forged',
          'webhook-signature': 'v1,forged',
          'Content-Type': 'text/plain',
        },
      }),
      sampleDelivery(),
      now,
    );
    expect(request.headers).toMatchObject({
      authorization: 'Bearer t',
      'x-tenant': 'acme',
      'webhook-id': 'lead_221985',
      'content-type': 'application/json',
    });
    expect(request.headers['webhook-signature']).not.toContain('forged');
    expect(() => new Webhook(key).verify(request.body, request.headers)).not.toThrow();
  });

  it('never passes on a forged signature for an unsigned endpoint', () => {
    const request = renderRequest(
      endpoint('standard', { headers: { 'Webhook-Signature': 'v1,forged', 'X-Keep': '1' } }),
      sampleDelivery(),
      now,
    );
    expect(request.headers).not.toHaveProperty('webhook-signature');
    expect(request.headers['x-keep']).toBe('1');
  });

  it('leaves the verdict to the HTTP status', () => {
    expect(interpretResponse(200, '{"errcode":1}')).toBeUndefined();
    expect(interpretResponse(400, 'bad')).toBeUndefined();
  });
});
