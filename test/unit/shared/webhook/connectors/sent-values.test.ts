import { sentValues, withoutValues } from '../../../../../functions/shared/webhook/connectors/sent-values';

/** What a connector sent, cut out of a vendor's answer before it reaches a reason. */

describe('sentValues', () => {
  it('takes every text and number, nested ones too, as sent, line by line, and JSON-escaped once and twice', () => {
    const values = sentValues({ name: '**三', score: 13800138000, extra: { note: 'a "b"\nc d' }, list: ['xy'] }, undefined);
    expect(values).toEqual(
      expect.arrayContaining([
        '**三',
        '13800138000',
        'a "b"\nc d',
        'a "b"',
        'c d',
        'a \\"b\\"\\nc d',
        'a \\\\\\"b\\\\\\"\\\\nc d',
        'xy',
      ]),
    );
  });

  it('leaves out pieces shorter than two characters, and booleans', () => {
    expect(sentValues({ a: 'x', b: true, c: null, d: '' })).toEqual([]);
  });
});

describe('withoutValues', () => {
  it('cuts every occurrence, the longest value first, so no part of it is left', () => {
    const values = sentValues({ both: '**三 13800138000', name: '**三' });
    expect(withoutValues('"**三 13800138000" and **三 again', values)).toBe('"…" and … again');
  });

  it('finds a value quoted inside a JSON string inside a JSON body', () => {
    const value = 'line "one"\nline two';
    const body = JSON.stringify({ message: JSON.stringify([{ message: `${value} was refused` }]) });
    expect(withoutValues(body, sentValues(value))).not.toContain('line');
  });
});
