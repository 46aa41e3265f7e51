import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { version } from '../../../../package.json';
import type { Endpoint } from '../../../../functions/shared/domain/settings';
import type { Delivery } from '../../../../functions/shared/webhook/delivery';
import { compileExpression } from '../../../../functions/shared/webhook/expressions/compile';
import { renderRequest, interpretResponse } from '../../../../functions/shared/webhook/formats';
import { UnpreparedDeliveryError } from '../../../../functions/shared/webhook/formats/http';
import { prepareDelivery } from '../../../../functions/shared/webhook/prepare';
import { verify } from '../../../../functions/shared/webhook/signature';
import { endpoint, sampleDelivery, sampleLead } from './fixtures';

const now = new Date('2026-11-29T07:00:00.000Z');
const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

function http(overrides: Partial<Endpoint> & { bodySource?: string; filterSource?: string } = {}): Endpoint {
  const { bodySource, filterSource, ...rest } = overrides;
  return endpoint('http', {
    url: 'https://api.example.com/leads',
    method: 'POST',
    contentType: 'json',
    body: bodySource === undefined ? undefined : compileExpression(bodySource),
    filter: filterSource === undefined ? undefined : compileExpression(filterSource),
    ...rest,
  });
}

/** prepareDelivery then renderRequest, as the forwarder does. */
async function rendered(target: Endpoint, delivery: Delivery = sampleDelivery(), at: Date = now) {
  const prepared = await prepareDelivery(target, delivery);
  if (prepared.kind !== 'send') throw new Error(`expected a send, got ${prepared.kind}`);
  return renderRequest(target, prepared.delivery, at);
}

describe('format http', () => {
  it('sends the Standard payload as JSON without a body expression, with the Standard Webhooks headers', async () => {
    const request = await rendered(http());
    expect(request).toEqual({
      url: 'https://api.example.com/leads',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': `alimama-lead-forwarder/${version}`,
        'webhook-id': 'lead_221985',
        'webhook-timestamp': String(now.getTime() / 1000),
      },
      body: JSON.stringify({ type: 'lead.created', timestamp: '2026-11-29T06:00:00.000Z', data: sampleLead() }),
    });
  });

  it('sends the body expression’s result as JSON with the configured method, ids and Chinese text intact', async () => {
    const lead = sampleLead({ id: '9007199254740993123', name: '张三' });
    const target = http({
      method: 'PATCH',
      bodySource: '{"external_id": data.id, "name": data.name, "hook": $webhookId, "fields": {"page": data.page_name}}',
    });
    const request = await rendered(target, sampleDelivery({ lead }));
    expect(request.method).toBe('PATCH');
    expect(request.body).toBe(
      '{"external_id":"9007199254740993123","name":"张三","hook":"lead_9007199254740993123","fields":{"page":"新半价2"}}',
    );
  });

  it('encodes a form of the top-level keys: text as is, numbers and booleans as text, objects as JSON, null and missing left out', async () => {
    const lead = sampleLead({ id: '9007199254740993123', name: '张 三&=' });
    const target = http({
      contentType: 'form',
      bodySource:
        '{"id": data.id, "name": data.name, "count": 3, "ratio": 0.5, "ok": true, "extra": data.extend_list, "where": {"code": data.location_code}, "none": null, "missing": data.no_such_field}',
    });
    const request = await rendered(target, sampleDelivery({ lead }));
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=utf-8');
    const form = new URLSearchParams(request.body);
    expect([...form.entries()]).toEqual([
      ['id', '9007199254740993123'],
      ['name', '张 三&='],
      ['count', '3'],
      ['ratio', '0.5'],
      ['ok', 'true'],
      ['extra', '[{"code":"sex","label":"性别","value":"男"}]'],
      ['where', '{"code":"111"}'],
    ]);
    expect(request.body).toContain('name=%E5%BC%A0+%E4%B8%89%26%3D');
  });

  it('signs the body exactly as sent: the standardwebhooks library verifies a JSON body, the scheme a form', async () => {
    const [key, previous] = [secret(), secret()];
    const json = await rendered(http({ secrets: [key, previous], bodySource: '{"id": data.id}' }), sampleDelivery(), new Date());
    for (const each of [key, previous]) expect(new Webhook(each).verify(json.body, json.headers)).toEqual({ id: '221985' });
    // The reference library parses what it verified as JSON, which a form is not: the scheme itself checks it.
    const form = await rendered(
      http({ contentType: 'form', secrets: [key], bodySource: '{"id": data.id, "名字": data.name}' }),
      sampleDelivery(),
      new Date(),
    );
    expect(form.body).toBe('id=221985&%E5%90%8D%E5%AD%97=**%E4%B8%89');
    expect(verify({ headers: form.headers, body: form.body }, [key])).toEqual({ ok: true });
    expect(verify({ headers: form.headers, body: `${form.body}&x=1` }, [key])).toEqual({
      ok: false,
      reason: 'no signature matches',
    });
  });

  it('keeps custom headers and the test mark: $webhookId and test are the test send’s', async () => {
    const target = http({ headers: { 'x-api-version': '2' }, bodySource: '{"hook": $webhookId, "test": test}' });
    const request = await rendered(target, sampleDelivery({ test: true }));
    expect(request.headers['x-api-version']).toBe('2');
    expect(JSON.parse(request.body)).toEqual({ hook: 'test_221985', test: true });
    expect(request.headers['webhook-id']).toBe('test_221985');
  });

  it('reads the answer by its status, like standard', () => {
    expect(interpretResponse('http', 200, '{"code": 1}')).toBeUndefined();
  });

  it('refuses to render an unprepared delivery rather than send the wrong body', () => {
    expect(() => renderRequest(http({ bodySource: '{"id": data.id}' }), sampleDelivery(), now)).toThrow(UnpreparedDeliveryError);
  });
});

describe('prepareDelivery', () => {
  it('skips a lead its filter does not let through, and sends one it does, in any format', async () => {
    const filterSource = "data.page_id in ['5314456', '5320001']";
    await expect(
      prepareDelivery(endpoint('wecom', { filter: compileExpression(filterSource) }), sampleDelivery()),
    ).resolves.toEqual({ kind: 'send', delivery: sampleDelivery() });
    const other = sampleDelivery({ lead: sampleLead({ page_id: '1' }) });
    await expect(prepareDelivery(endpoint('standard', { filter: compileExpression(filterSource) }), other)).resolves.toEqual({
      kind: 'skip',
    });
    // Only true is a yes: a field that exists is not.
    await expect(
      prepareDelivery(endpoint('standard', { filter: compileExpression('data.page_id') }), sampleDelivery()),
    ).resolves.toEqual({ kind: 'skip' });
  });

  it('parks a lead an expression fails on, naming the endpoint and key, never the lead', async () => {
    const lead = sampleLead({ name: '张三' });
    const cases: [Endpoint, RegExp][] = [
      [http({ name: 'api', filterSource: '$error(data.name)' }), /^webhooks "api"\.filter \$error\(\) was called/],
      [
        http({ name: 'api', bodySource: '($f := function($x){$f($x)}; $f(data.name))' }),
        /^webhooks "api"\.body (recursed deeper|ran longer)/,
      ],
      [http({ name: 'api', bodySource: 'data.no_such_field' }), /^webhooks "api"\.body yielded nothing/],
      [
        http({ name: 'api', contentType: 'form', bodySource: '[data.name]' }),
        /^webhooks "api"\.body must yield an object for contentType "form", not a list$/,
      ],
    ];
    for (const [target, reason] of cases) {
      const prepared = await prepareDelivery(target, sampleDelivery({ lead }));
      expect(prepared.kind).toBe('park');
      const parked = prepared.kind === 'park' ? prepared.reason : '';
      expect(parked).toMatch(reason);
      expect(parked).not.toContain('张三');
    }
  });
});
