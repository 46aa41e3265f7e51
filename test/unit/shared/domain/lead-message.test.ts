import { encodeLeadBody, parseLeadMessage } from '../../../../functions/shared/domain/lead-message';
import { MalformedMessageError } from '../../../../functions/shared/domain/errors';

const message = (body: string, attributes: Record<string, string> = {}, sentTimestamp?: string) => ({
  body,
  attributes,
  ...(sentTimestamp === undefined ? {} : { sentTimestamp }),
});

describe('parseLeadMessage', () => {
  it('reads the lead and when the poller first saw it', () => {
    const parsed = parseLeadMessage(
      message(
        JSON.stringify({ id: '9007199254740993123', name: '**三', extend_list: [{ code: 'sex', label: '性别', value: '男' }] }),
        { seen_at: '2026-11-29T06:00:00.000Z' },
      ),
    );
    expect(parsed).toEqual({
      lead: { id: '9007199254740993123', name: '**三', extend_list: [{ code: 'sex', label: '性别', value: '男' }] },
      seenAt: '2026-11-29T06:00:00.000Z',
    });
  });

  it('falls back to SentTimestamp for a message without seen_at, and notes a replay', () => {
    const parsed = parseLeadMessage(message('{"id":"1"}', { parked_reason: 'HTTP 400 from crm' }, '1764396000000'));
    expect(parsed).toEqual({
      lead: { id: '1' },
      seenAt: new Date(1764396000000).toISOString(),
      parkedReason: 'HTTP 400 from crm',
    });
  });

  it('forwards only the fields a lead has, whatever a hand-made message adds', () => {
    const parsed = parseLeadMessage(
      message(JSON.stringify({ id: '2', injected: '<script>', extend_list: [{ code: 'a', extra: 1 }] })),
    );
    expect(parsed.lead).toEqual({ id: '2', extend_list: [{ code: 'a' }] });
  });

  it.each([
    ['{not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"id": 12}', /no valid lead id/],
    ['{"id": "12", "name": 5}', /name is not a string/],
    ['{"id": "12", "mobile_encrypted": "yes"}', /mobile_encrypted/],
    ['{"id": "12", "extend_list": "x"}', /extend_list/],
  ])('a malformed body %s is a MalformedMessageError', (body, pattern) => {
    expect(() => parseLeadMessage(message(body))).toThrow(MalformedMessageError);
    expect(() => parseLeadMessage(message(body))).toThrow(pattern);
  });
});

describe('encodeLeadBody', () => {
  it('writes emoji and noncharacters as escapes that SQS accepts, and they parse back unchanged', () => {
    const lead = { id: '7', name: '张😀三\uFFFF\uFFFE', page_name: '新半价2 🎁' };
    const body = encodeLeadBody(lead);
    expect(body).not.toMatch(/[\uFFFE\uFFFF]|[\u{10000}-\u{10FFFF}]/u);
    expect(body).toContain('新半价2'); // ordinary CJK stays readable
    expect(parseLeadMessage({ body, attributes: {} }).lead).toEqual(lead);
  });
});
