import { parseForwarderSettings } from '../../../../../functions/shared/config/parse-settings';
import { bitableCodeMeaning } from '../../../../../functions/shared/webhook/connectors/feishu-bitable-errors';
import { defaultBitableFields } from '../../../../../functions/shared/webhook/connectors/feishu-bitable-fields';

describe('defaultBitableFields', () => {
  const lead = {
    id: '9007199254740993001',
    name: '**三',
    mobile: '13800138000',
    mobile_encrypted: false,
    seller_nick: 'XX****旗舰店',
    page_name: '新半价2',
    location: 'xx省xx市xx县',
    lead_time: '2022-05-03T17:44:28+08:00',
    gmt_create: '2023-09-07T08:55:56.000Z',
    mm_src_cname: '淘积木其他',
    extend_list: [
      { code: 'sex', label: '性别', value: '男' },
      { code: 'age', value: '30' },
      { code: 'empty', label: '空', value: '' },
    ],
  };

  it('maps every column: text as text, the lead time as epoch milliseconds, the store falling back to the seller nick', () => {
    expect(defaultBitableFields(lead)).toEqual({
      线索ID: '9007199254740993001',
      姓名: '**三',
      手机号: '13800138000',
      留资时间: Date.UTC(2022, 4, 3, 9, 44, 28),
      店铺: 'XX****旗舰店',
      落地页: '新半价2',
      地区: 'xx省xx市xx县',
      来源: '淘积木其他',
      附加信息: '性别: 男\nage: 30',
    });
  });

  it('leaves out an encrypted mobile, and every absent field; falls back to gmt_create for the time', () => {
    expect(
      defaultBitableFields({ id: '1', mobile: 'Pci/6KXf==', mobile_encrypted: true, gmt_create: '2023-09-07T08:55:56.000Z' }),
    ).toEqual({
      线索ID: '1',
      留资时间: Date.UTC(2023, 8, 7, 8, 55, 56),
    });
    expect(defaultBitableFields({ id: '2', lead_time: 'not a time' })).toEqual({ 线索ID: '2' });
  });
});

describe('bitableCodeMeaning', () => {
  it.each([
    [0, { kind: 'delivered' }],
    [99991661, { kind: 'reauthenticate' }],
    [99991663, { kind: 'reauthenticate' }],
    [99991668, { kind: 'reauthenticate' }],
    [99991400, { kind: 'retry', reasonClass: 'rate-limit' }],
    [1254290, { kind: 'retry', reasonClass: 'rate-limit' }],
    [1254291, { kind: 'retry', reasonClass: 'vendor-error' }],
    [1254607, { kind: 'retry', reasonClass: 'vendor-error' }],
    [1255040, { kind: 'retry', reasonClass: 'vendor-error' }],
    [91403, { kind: 'rejected', reasonClass: 'auth' }],
    [99991672, { kind: 'rejected', reasonClass: 'auth' }],
    [1254041, { kind: 'rejected', reasonClass: 'rejected-field' }],
    [1254045, { kind: 'rejected', reasonClass: 'rejected-field' }],
    [1254064, { kind: 'rejected', reasonClass: 'rejected-field' }],
    [1255006, { kind: 'rejected', reasonClass: 'rejected-field' }],
  ])('code %d: %o', (code, meaning) => {
    expect(bitableCodeMeaning(code)).toEqual(meaning);
  });
});

describe('the feishu-bitable connector reads the code before the status', () => {
  const [endpoint] = parseForwarderSettings({
    webhooks: [{ name: 'b', format: 'feishu-bitable', appId: 'cli_x', appSecret: 's', appToken: 'bascnA', tableId: 'tblA' }],
  }).webhooks;
  const read = (status: number, body: unknown) =>
    endpoint!.connector!.readAnswer({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it.each([
    [
      'code 0 on HTTP 200, with the record id',
      200,
      { code: 0, data: { record: { record_id: 'recA' } } },
      { outcome: 'delivered', recordId: 'recA' },
    ],
    ['code 0 without a record', 200, { code: 0, data: {} }, { outcome: 'delivered' }],
    ['an expired token on HTTP 400', 400, { code: 99991663, msg: 'Invalid access token' }, { outcome: 'reauthenticate' }],
    [
      'a rate limit on HTTP 400 (older APIs)',
      400,
      { code: 99991400, msg: 'request trigger frequency limit' },
      { outcome: 'retry', reasonClass: 'rate-limit' },
    ],
    [
      'a write conflict on HTTP 200',
      200,
      { code: 1254291, msg: 'Write conflict' },
      { outcome: 'retry', reasonClass: 'vendor-error' },
    ],
    [
      'FieldNameNotFound on HTTP 200',
      200,
      { code: 1254045, msg: 'FieldNameNotFound' },
      { outcome: 'rejected', reasonClass: 'rejected-field' },
    ],
    ['91403 on HTTP 403', 403, { code: 91403, msg: 'Forbidden' }, { outcome: 'rejected', reasonClass: 'auth' }],
    ['an unknown code on HTTP 504', 504, { code: 1255099, msg: 'busy' }, { outcome: 'retry', reasonClass: 'vendor-error' }],
    ['an HTML 502 page', 502, '<html>502 Bad Gateway</html>', { outcome: 'retry', reasonClass: 'vendor-error' }],
    ['an HTML 404 page (a wrong baseUrl)', 404, '<html>Not Found</html>', { outcome: 'rejected' }],
  ])('%s', (_label, status, body, verdict) => {
    expect(read(status, body)).toMatchObject(verdict);
  });

  it('names the code and message in the reason, never a field value', () => {
    const verdict = read(200, { code: 1254045, msg: 'FieldNameNotFound', error: { message: 'field 客户 value **三' } });
    expect(verdict).toMatchObject({ reason: 'Feishu code 1254045 (FieldNameNotFound)' });
  });
});
