import { normalizeLead, unwrapList } from '../../../../functions/shared/domain/lead';

const apiRecord = {
  seller_nick: 'XX****旗舰店',
  gmt_modified: 1694076956000,
  mm_src_cname: '淘积木其他',
  lead_time: '2022-05-03 17:44:28',
  seller_user_id: 999999999,
  page_id: 5314456,
  gmt_create: 1694076956000,
  page_name: '新半价2',
  name: '**三',
  store_name: '测试店铺名',
  id: 221985,
  location_code: 111,
  extend_list: { lead_extend_d_t_o: [{ label: '性别', code: 'sex', value: '男' }] },
  location: 'xx省xx市xx县',
  mobile: 'Pci/6KXf',
};

describe('normalizeLead', () => {
  it('maps the documented API record to the DESIGN §3 lead', () => {
    const result = normalizeLead(apiRecord);
    expect(result).toEqual({
      ok: true,
      warnings: [],
      lead: {
        id: '221985',
        seller_user_id: '999999999',
        seller_nick: 'XX****旗舰店',
        store_name: '测试店铺名',
        page_id: '5314456',
        page_name: '新半价2',
        name: '**三',
        mobile: 'Pci/6KXf',
        mobile_encrypted: true,
        location: 'xx省xx市xx县',
        location_code: '111',
        lead_time: '2022-05-03T17:44:28+08:00',
        gmt_create: '2023-09-07T08:55:56.000Z',
        gmt_modified: '2023-09-07T08:55:56.000Z',
        mm_src_cname: '淘积木其他',
        extend_list: [{ code: 'sex', label: '性别', value: '男' }],
      },
    });
  });

  it('keeps ids beyond 2^53 given as decimal strings, digit for digit', () => {
    const result = normalizeLead({ id: '9007199254740993123', page_id: '18446744073709551617' });
    expect(result.ok && result.lead).toEqual({ id: '9007199254740993123', page_id: '18446744073709551617' });
  });

  it('reads gmt_* given as GMT+8 wall text as UTC instants', () => {
    const result = normalizeLead({ id: 1, gmt_create: '2023-09-07 16:55:56', gmt_modified: '1694076956000' });
    expect(result.ok && result.lead.gmt_create).toBe('2023-09-07T08:55:56.000Z');
    expect(result.ok && result.lead.gmt_modified).toBe('2023-09-07T08:55:56.000Z');
  });

  it('omits absent fields instead of inventing them, and omits mobile_encrypted without a mobile', () => {
    const result = normalizeLead({ id: 5, name: '**四' });
    expect(result.ok && result.lead).toEqual({ id: '5', name: '**四' });
  });

  it('accepts a bare extend_list', () => {
    const result = normalizeLead({ id: 5, extend_list: [{ code: 'age', label: '年龄', value: 30 }] });
    expect(result.ok && result.lead.extend_list).toEqual([{ code: 'age', label: '年龄', value: '30' }]);
  });

  it.each([
    [{ name: 'no id' }, 'lead record has no usable id (absent)'],
    [{ id: null }, 'lead record has no usable id (null)'],
    [{ id: -3 }, 'lead record has no usable id (-3)'],
    [{ id: 1.5 }, 'lead record has no usable id (1.5)'],
    [{ id: '12a' }, 'lead record has no usable id ("12a")'],
    [{ id: 2 ** 60 }, 'lead record has no usable id (1152921504606847000)'], // a number that already lost digits in parsing must not be trusted
    ['not an object', 'lead record is not an object (string)'],
    [null, 'lead record is not an object (null)'],
  ])('rejects a record without a usable id: %j', (record, problem) => {
    expect(normalizeLead(record)).toEqual({ ok: false, problem });
  });

  it('leaves out an unreadable time with a warning but keeps the lead', () => {
    const result = normalizeLead({ id: 7, lead_time: 'yesterday', gmt_create: '2023-02-30 10:00:00' });
    expect(result).toEqual({
      ok: true,
      lead: { id: '7' },
      warnings: ['lead_time is not a time; left out', 'gmt_create is not a time; left out'],
    });
  });
});

describe('unwrapList', () => {
  it('accepts bare and wrapped lists', () => {
    expect(unwrapList([1, 2])).toEqual([1, 2]);
    expect(unwrapList({ result: [1, 2] })).toEqual([1, 2]);
    expect(unwrapList({ lead_extend_d_t_o: [3] }, 'lead_extend_d_t_o')).toEqual([3]);
    expect(unwrapList({ result: { id: 1 } })).toEqual([{ id: 1 }]);
    expect(unwrapList(undefined)).toBeUndefined();
  });
});
