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
