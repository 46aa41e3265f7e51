import type { Lead } from '../../../../functions/shared/domain/lead';
import type { Endpoint, EndpointFormat } from '../../../../functions/shared/domain/settings';
import type { Delivery } from '../../../../functions/shared/webhook/delivery';

/** The DESIGN §3 sample lead, decrypted as the forwarder would send it. */
export function sampleLead(overrides: Partial<Lead> = {}): Lead {
  return {
    id: '221985',
    seller_user_id: '999999999',
    seller_nick: 'XX****旗舰店',
    store_name: '测试店铺名',
    page_id: '5314456',
    page_name: '新半价2',
    name: '**三',
    mobile: '13800138000',
    mobile_encrypted: false,
    location: 'xx省xx市xx县',
    location_code: '111',
    lead_time: '2022-05-03T17:44:28+08:00',
    gmt_create: '2023-09-07T08:55:56.000Z',
    gmt_modified: '2023-09-07T08:55:56.000Z',
    mm_src_cname: '淘积木其他',
    extend_list: [{ code: 'sex', label: '性别', value: '男' }],
    ...overrides,
  };
}

export function sampleDelivery(overrides: Partial<Delivery> = {}): Delivery {
  return { lead: sampleLead(), seenAt: '2026-11-29T06:00:00.000Z', ...overrides };
}

export function endpoint(format: EndpointFormat, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    name: format,
    url: 'https://example.test/hook?key=k1',
    secrets: [],
    headers: {},
    format,
    timeoutMs: 5_000,
    ...overrides,
  };
}

/** Parses a rendered body in a test; a failure here is a test failure, so no validation is needed. */
export function json(body: string): Record<string, unknown> {
  return JSON.parse(body) as Record<string, unknown>;
}
