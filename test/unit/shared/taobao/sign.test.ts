import { signingString, signTopRequest } from '../../../../functions/shared/taobao/sign';

// The platform's published example (DESIGN §1).
const published = {
  method: 'taobao.item.seller.get',
  app_key: '12345678',
  session: 'test',
  timestamp: '2016-01-01 12:00:00',
  format: 'json',
  v: '2.0',
  sign_method: 'md5',
  fields: 'num_iid,title,nick,price,num',
  num_iid: '11223344',
};

// Derived independently, once, with OpenSSL 3.0 over the same sorted text (not with this code):
//   printf '%s' 'app_key12345678fields…sign_methodhmac…v2.0' | openssl dgst -md5 -hmac helloworld
//   printf '%s' 'app_key12345678fields…sign_methodhmac-sha256…v2.0' | openssl dgst -sha256 -hmac helloworld
//   printf '%s' 'app_keyk1lead_external_query_dto{…}methodtaobao.mama.crm.lead.listname张三…' | openssl dgst -sha256 -hmac 'sécret'
const OPENSSL_HMAC_MD5 = 'D56D7858309C31B6251083A874D48273';
const OPENSSL_HMAC_SHA256 = '04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8';
const OPENSSL_UTF8_HMAC_SHA256 = 'BE376D8CEB39042136A7BB6903535C672601F7FD5C1EFAAA25B573E6F3DC8D88';

describe('TOP signature', () => {
  it('matches the platform published md5 vector', () => {
    expect(signTopRequest(published, 'helloworld', 'md5')).toBe('66987CB115214E59E6EC978214934FB8');
  });

  it('joins sorted keys and values with no separators and no URL-encoding', () => {
    expect(signingString(published)).toBe(
      'app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0',
    );
  });

  it('matches HMAC-MD5 and HMAC-SHA256 vectors computed with openssl', () => {
    expect(signTopRequest({ ...published, sign_method: 'hmac' }, 'helloworld', 'hmac')).toBe(OPENSSL_HMAC_MD5);
    expect(signTopRequest({ ...published, sign_method: 'hmac-sha256' }, 'helloworld', 'hmac-sha256')).toBe(OPENSSL_HMAC_SHA256);
  });

  it('signs UTF-8 text, a JSON object parameter verbatim and a non-ASCII secret', () => {
    const params = {
      method: 'taobao.mama.crm.lead.list',
      app_key: 'k1',
      name: '张三',
      timestamp: '2026-11-29 14:00:00',
      v: '2.0',
      sign_method: 'hmac-sha256',
      lead_external_query_dto: '{"offset":9007199254740993,"page_size":100}',
    };
    expect(signTopRequest(params, 'sécret', 'hmac-sha256')).toBe(OPENSSL_UTF8_HMAC_SHA256);
  });

  it('leaves out `sign` and empty values', () => {
    const expected = signTopRequest(published, 'helloworld', 'md5');
    expect(signTopRequest({ ...published, sign: 'WHATEVER', partner_id: '', simplify: undefined }, 'helloworld', 'md5')).toBe(
      expected,
    );
    expect(signingString({ a: '1', b: '', c: undefined, sign: 'X' })).toBe('a1');
  });

  it('sorts keys by UTF-16 code unit, not by locale', () => {
    // Code units: 'B' (0x42) < 'Z' (0x5A) < '_' (0x5F) < 'a' (0x61) < 'é' (0xE9); a locale sort would mix cases.
    expect(signingString({ a: '1', _x: '2', Z: '3', B: '4', é: '5' })).toBe('B4Z3_x2a1é5');
  });

  it('yields uppercase hex of the right length for every method', () => {
    expect(signTopRequest(published, 's', 'md5')).toMatch(/^[0-9A-F]{32}$/);
    expect(signTopRequest(published, 's', 'hmac')).toMatch(/^[0-9A-F]{32}$/);
    expect(signTopRequest(published, 's', 'hmac-sha256')).toMatch(/^[0-9A-F]{64}$/);
  });
});
