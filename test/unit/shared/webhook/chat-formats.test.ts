import { renderRequest } from '../../../../functions/shared/webhook/formats';
import { WECOM_MARKDOWN_MAX_BYTES, interpretResponse as wecomReply } from '../../../../functions/shared/webhook/formats/wecom';
import { dingtalkSign, interpretResponse as dingtalkReply } from '../../../../functions/shared/webhook/formats/dingtalk';
import { feishuSign, interpretResponse as feishuReply } from '../../../../functions/shared/webhook/formats/feishu';
import { endpoint, json, sampleDelivery, sampleLead } from './fixtures';

// Fixed inputs for the signing vectors below.
const NOW = new Date(1764396000000); // 2025-11-29T06:00:00Z
const DINGTALK_SECRET = 'SECtest0123456789abcdef';
const FEISHU_SECRET = 'feishu-test-secret';

function markdownOf(format: 'wecom' | 'dingtalk', body: string): string {
  const parsed = json(body);
  const block = parsed.markdown as Record<string, unknown>;
  return String(format === 'wecom' ? block.content : block.text);
}

function feishuText(body: string): string {
  const card = json(body).card as { elements: { text: { content: string } }[] };
  return card.elements[0]!.text.content;
}

describe('chat presets render a readable Chinese card', () => {
  const texts = {
    wecom: markdownOf('wecom', renderRequest(endpoint('wecom'), sampleDelivery(), NOW).body),
    dingtalk: markdownOf('dingtalk', renderRequest(endpoint('dingtalk'), sampleDelivery(), NOW).body),
    // The Feishu title sits in the card header, the fields in its text: the whole body is checked.
    feishu: renderRequest(endpoint('feishu'), sampleDelivery(), NOW).body,
  };

  it.each(Object.entries(texts))(
    '%s shows name, mobile, page, source, location, time, store, extras and the lead id',
    (_format, text) => {
      for (const expected of [
        '姓名',
        '＊＊三',
        '13800138000',
        '新半价2',
        '淘积木其他',
        'xx省xx市xx县',
        '2022-05-03 17:44:28',
        '测试店铺名',
        '性别',
        '男',
        '221985',
        '新线索',
      ]) {
        expect(text).toContain(expected);
      }
      expect(text).not.toContain('测试】');
    },
  );

  it.each(['wecom', 'dingtalk', 'feishu'] as const)('%s marks a test send as 测试', (format) => {
    const body = renderRequest(endpoint(format), sampleDelivery({ test: true }), NOW).body;
    expect(body).toContain('【测试】新线索');
  });

  it('says the mobile is encrypted instead of printing a ciphertext', () => {
    const lead = sampleLead({ mobile: 'Pci/6KXfABC=', mobile_encrypted: true });
    const body = renderRequest(endpoint('wecom'), sampleDelivery({ lead }), NOW).body;
    expect(body).not.toContain('Pci/6KXf');
    expect(body).toContain('已加密');
  });

  it('leaves out fields the lead does not have', () => {
    const body = renderRequest(endpoint('dingtalk'), sampleDelivery({ lead: { id: '5' } }), NOW).body;
    expect(markdownOf('dingtalk', body)).toBe('#### 新线索\n\n- **线索ID**：5');
  });

  it('neutralizes markup in visitor input: links, HTML, mentions, line breaks', () => {
    const lead = sampleLead({ name: '<@all> [点我](http://evil.test)\n# 标题 <font color="warning">x</font>' });
    for (const format of ['wecom', 'dingtalk', 'feishu'] as const) {
      const body = renderRequest(endpoint(format), sampleDelivery({ lead }), NOW).body;
      const text = format === 'feishu' ? feishuText(body) : markdownOf(format, body);
      expect(text).not.toMatch(/<@all>|\]\(http|<font|\n# /);
      expect(text).toContain('＜@all＞ ［点我］(http://evil.test) # 标题');
    }
  });

  it("neutralizes markup in a form's own labels too (they come from the page builder, not from us)", () => {
    const extend_list = [{ label: '<at id=all></at>\n# 标题 [点我](http://evil.test)', value: '是' }];
    for (const format of ['wecom', 'dingtalk', 'feishu'] as const) {
      const body = renderRequest(endpoint(format), sampleDelivery({ lead: sampleLead({ extend_list }) }), NOW).body;
      const text = format === 'feishu' ? feishuText(body) : markdownOf(format, body);
      expect(text).not.toMatch(/<at id=all>|\]\(http|\n# /);
      expect(text).toContain('＜at id=all＞＜/at＞ # 标题 ［点我］');
    }
  });

  it.each(['wecom', 'dingtalk', 'feishu'] as const)('%s: a card cut to its size limit still names the lead', (format) => {
    const extend_list = Array.from({ length: 12 }, (_, i) => ({ label: `问题${i}：我想了解的内容`, value: '我想'.repeat(95) }));
    const body = renderRequest(endpoint(format), sampleDelivery({ lead: sampleLead({ extend_list }) }), NOW).body;
    const text = format === 'feishu' ? feishuText(body) : markdownOf(format, body);
    expect(text).toContain('线索ID');
    expect(text).toContain('221985');
  });

  it('keeps a Feishu body within 20 KB even when JSON escaping doubles the text (quotes, backslashes, control characters)', () => {
    const extend_list = Array.from({ length: 20 }, (_, i) => ({ label: `"\\字段${i}\u0001`, value: '"\\\u0001'.repeat(200) }));
    const body = renderRequest(
      endpoint('feishu', { secrets: [FEISHU_SECRET] }),
      sampleDelivery({ lead: sampleLead({ extend_list }) }),
      NOW,
    ).body;
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(20 * 1024);
    expect(feishuText(body)).toContain('线索ID');
  });

  it('keeps a WeCom card within its 4096-byte markdown limit', () => {
    const extend_list = Array.from({ length: 40 }, (_, i) => ({ label: `字段${i}`, value: '很长的内容'.repeat(100) }));
    const content = markdownOf(
      'wecom',
      renderRequest(endpoint('wecom'), sampleDelivery({ lead: sampleLead({ extend_list }) }), NOW).body,
    );
    expect(Buffer.byteLength(content, 'utf8')).toBeLessThanOrEqual(WECOM_MARKDOWN_MAX_BYTES);
    expect(content.endsWith('…')).toBe(true);
  });

  it('keeps a Feishu body within its 20 KB limit', () => {
    const extend_list = Array.from({ length: 40 }, (_, i) => ({ label: `字段${i}`, value: '很长的内容'.repeat(100) }));
    const body = renderRequest(
      endpoint('feishu', { secrets: [FEISHU_SECRET] }),
      sampleDelivery({ lead: sampleLead({ extend_list }) }),
      NOW,
    ).body;
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(20 * 1024);
  });

  it('sends JSON with the user agent and custom headers', () => {
    const request = renderRequest(endpoint('wecom', { headers: { 'x-trace': 'abc' } }), sampleDelivery(), NOW);
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-trace': 'abc' });
    expect(request.headers['user-agent']).toMatch(/^alimama-lead-forwarder\//);
    expect(json(request.body)).toMatchObject({ msgtype: 'markdown' });
  });
});

describe('dingtalk signing', () => {
  // Expected value computed independently with OpenSSL:
  //   printf '%s\n%s' 1764396000000 SECtest0123456789abcdef \
  //     | openssl dgst -sha256 -hmac SECtest0123456789abcdef -binary | base64
  const EXPECTED = '9zEY7PZ/RM/CJHbeUs3NmFVj8XzqdCaZi/zCzq01OsQ=';

  it('computes base64(HmacSHA256(secret, "<ms>\\n<secret>"))', () => {
    expect(dingtalkSign(NOW.getTime(), DINGTALK_SECRET)).toBe(EXPECTED);
  });

  it('appends timestamp (ms) and the URL-encoded sign to the existing query', () => {
    const request = renderRequest(
      endpoint('dingtalk', { url: 'https://oapi.dingtalk.com/robot/send?access_token=abc123', secrets: [DINGTALK_SECRET] }),
      sampleDelivery(),
      NOW,
    );
    expect(request.url).toBe(
      `https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1764396000000&sign=${encodeURIComponent(EXPECTED)}`,
    );
    expect(request.url).toContain('sign=9zEY7PZ%2FRM%2FCJHbeUs3NmFVj8XzqdCaZi%2FzCzq01OsQ%3D');
    expect(new URL(request.url).searchParams.get('sign')).toBe(EXPECTED);
    expect(json(request.body)).toMatchObject({ msgtype: 'markdown', markdown: { title: '新线索' } });
  });

  it('leaves the URL alone without a secret', () => {
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=abc123';
    expect(renderRequest(endpoint('dingtalk', { url }), sampleDelivery(), NOW).url).toBe(url);
  });
});

describe('feishu signing', () => {
  // Expected value computed independently with OpenSSL (the key is "<seconds>\n<secret>", the
  // message is empty):
  //   printf '' | openssl dgst -sha256 -mac HMAC -macopt key:"$(printf '1764396000\nfeishu-test-secret')" -binary | base64
  const EXPECTED = 'V5osxRLtbZdk+meFlBsHTBRmog4F+wC6q8Ldh0e1GGo=';

  it('computes base64(HmacSHA256(key = "<s>\\n<secret>", message = empty))', () => {
    expect(feishuSign(1764396000, FEISHU_SECRET)).toBe(EXPECTED);
  });

  it('puts timestamp (seconds, a string) and sign in the body of an interactive card', () => {
    const body = json(renderRequest(endpoint('feishu', { secrets: [FEISHU_SECRET] }), sampleDelivery(), NOW).body);
    expect(body).toMatchObject({ timestamp: '1764396000', sign: EXPECTED, msg_type: 'interactive' });
  });

  it('sends no timestamp or sign without a secret', () => {
    const body = json(renderRequest(endpoint('feishu'), sampleDelivery(), NOW).body);
    expect(body).not.toHaveProperty('sign');
    expect(body).not.toHaveProperty('timestamp');
  });
});

describe('robot replies: a 200 is delivered only when the body code says so', () => {
  const replies = { wecom: wecomReply, dingtalk: dingtalkReply, feishu: feishuReply };

  it.each([
    ['wecom accepted', 'wecom', 200, '{"errcode":0,"errmsg":"ok"}', 'delivered'],
    ['wecom rate limit', 'wecom', 200, '{"errcode":45009,"errmsg":"api freq out of limit"}', 'retry'],
    ['wecom busy', 'wecom', 200, '{"errcode":-1,"errmsg":"system busy"}', 'retry'],
    ['wecom invalid url', 'wecom', 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', 'rejected'],
    ['dingtalk accepted', 'dingtalk', 200, '{"errcode":0,"errmsg":"ok"}', 'delivered'],
    ['dingtalk too fast', 'dingtalk', 200, '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}', 'retry'],
    ['dingtalk bad sign', 'dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}', 'rejected'],
    ['dingtalk keyword', 'dingtalk', 200, '{"errcode":310000,"errmsg":"keywords not in content"}', 'rejected'],
    ['dingtalk unknown token', 'dingtalk', 200, '{"errcode":300001,"errmsg":"token is not exist"}', 'rejected'],
    ['dingtalk throttle redirect', 'dingtalk', 302, '', 'retry'],
    ['feishu accepted', 'feishu', 200, '{"code":0,"msg":"success","data":{}}', 'delivered'],
    ['feishu legacy accepted', 'feishu', 200, '{"Extra":null,"StatusCode":0,"StatusMessage":"success"}', 'delivered'],
    ['feishu rate limit', 'feishu', 200, '{"code":11232,"msg":"frequency limited"}', 'retry'],
    ['feishu rate limit as 400', 'feishu', 400, '{"code":11232,"msg":"frequency limited"}', 'retry'],
    [
      'feishu bad sign',
      'feishu',
      200,
      '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}',
      'rejected',
    ],
    ['feishu keyword', 'feishu', 200, '{"code":19024,"msg":"Key Words Not Found"}', 'rejected'],
    ['feishu bad request', 'feishu', 400, '{"code":9499,"msg":"Bad Request"}', 'rejected'],
    ['feishu throttled as a 9499', 'feishu', 400, '{"code":9499,"msg":"too many request","data":{}}', 'retry'],
    ['feishu rate limit, older APIs', 'feishu', 400, '{"code":99991400,"msg":"request trigger frequency limit"}', 'retry'],
    ['a 200 that is not the robot', 'wecom', 200, '<html>portal</html>', 'retry'],
  ] as const)('%s (%s, HTTP %i: %s) → %s', (_case, format, status, body, outcome) => {
    expect(replies[format](status, body)?.outcome).toBe(outcome);
  });

  it('names the robot and the code in the reason, never the message (a relay may quote the lead in it)', () => {
    expect(dingtalkReply(200, '{"errcode":310000,"errmsg":"sign not match"}')).toEqual({
      outcome: 'rejected',
      reason: '钉钉 error 310000',
    });
    expect(feishuReply(200, '{"code":9499,"msg":"invalid mobile 13800138000 for 张三"}')).toEqual({
      outcome: 'rejected',
      reason: '飞书 error 9499',
    });
  });

  it('gives the documented penalty windows as retry hints', () => {
    expect(dingtalkReply(200, '{"errcode":130101,"errmsg":"send too fast"}')).toMatchObject({ retryAfterSeconds: 600 });
    expect(wecomReply(200, '{"errcode":45009,"errmsg":"api freq out of limit"}')).toMatchObject({ retryAfterSeconds: 60 });
  });

  it('leaves 410, 429, 5xx and code-less errors to the HTTP status rules', () => {
    for (const reply of [wecomReply, dingtalkReply, feishuReply]) {
      expect(reply(410, '{"errcode":1}')).toBeUndefined();
      expect(reply(429, '')).toBeUndefined();
      expect(reply(503, '{"code":9499}')).toBeUndefined();
      expect(reply(404, 'not found')).toBeUndefined();
    }
  });
});
