import { parseJsonKeepingBigInts, quoteUnsafeIntegers, writeLeadQueryDto } from '../../../../functions/shared/taobao/json';

describe('parseJsonKeepingBigInts', () => {
  it('keeps integers beyond 2^53 exact, as decimal strings', () => {
    const text = '{"id":9007199254740993,"ids":[12345678901234567890123,-9007199254740993],"n":42}';
    expect(parseJsonKeepingBigInts(text)).toEqual({
      id: '9007199254740993',
      ids: ['12345678901234567890123', '-9007199254740993'],
      n: 42,
    });
    // What plain JSON.parse would have done: a different lead.
    expect(String((JSON.parse(text) as { id: number }).id)).toBe('9007199254740992');
  });

  it('leaves safe integers, fractions and exponents as numbers', () => {
    expect(parseJsonKeepingBigInts('[9007199254740991,0,-1,1.5,12345678901234567890.5,1e30,2E-3]')).toEqual([
      9007199254740991, 0, -1, 1.5, 12345678901234567890.5, 1e30, 2e-3,
    ]);
  });

  it('never touches string contents: digits, escaped quotes, backslashes', () => {
    const text = String.raw`{"a":"9007199254740993","b":"say \"12345678901234567890\" ok","c":"\\","d":99999999999999999999,"e":"\\\"1e400"}`;
    expect(parseJsonKeepingBigInts(text)).toEqual({
      a: '9007199254740993',
      b: 'say "12345678901234567890" ok',
      c: '\\',
      d: '99999999999999999999',
      e: '\\"1e400',
    });
  });

  it('does not repair invalid JSON', () => {
    expect(() => parseJsonKeepingBigInts('{"id":012345678901234567890}')).toThrow(SyntaxError);
    expect(() => parseJsonKeepingBigInts('<html>502 Bad Gateway 12345678901234567890</html>')).toThrow(SyntaxError);
    expect(() => parseJsonKeepingBigInts('')).toThrow(SyntaxError);
  });

  it('returns the text itself when nothing needs quoting', () => {
    const text = '{"id":221985,"name":"**三"}';
    expect(quoteUnsafeIntegers(text)).toBe(text);
    // Fifteen digits are always safe; sixteen may or may not be, and 2^53 itself is not.
    expect(quoteUnsafeIntegers('[999999999999999,-999999999999999]')).toBe('[999999999999999,-999999999999999]');
    expect(quoteUnsafeIntegers('[9007199254740991,9007199254740992]')).toBe('[9007199254740991,"9007199254740992"]');
  });
});

describe('writeLeadQueryDto', () => {
  it('omits the offset for the newest page', () => {
    expect(writeLeadQueryDto({ pageSize: 100 })).toBe('{"page_size":100}');
  });

  it('writes the offset as a bare number with every digit, beyond 2^53 included', () => {
    const text = writeLeadQueryDto({ offset: '123456789012345678901', pageSize: 50 });
    expect(text).toBe('{"offset":123456789012345678901,"page_size":50}');
    expect(parseJsonKeepingBigInts(text)).toEqual({ offset: '123456789012345678901', page_size: 50 });
  });

  it.each([
    { offset: '12a', pageSize: 1 },
    { offset: '-1', pageSize: 1 },
    { offset: '01', pageSize: 1 },
    { pageSize: 0 },
    { pageSize: 1.5 },
  ])('refuses %j', (query) => {
    expect(() => writeLeadQueryDto(query)).toThrow(RangeError);
  });
});
