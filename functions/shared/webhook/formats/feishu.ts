import { createHmac } from 'node:crypto';
import type { Endpoint } from '../../domain/settings';
import type { Delivery } from '../delivery';
import { interpretBotReply, type BotReplyRules } from './bot-reply';
import { escapeMarkdown, leadCard, truncateUtf8 } from './card';
import { requestHeaders } from './headers';
import type { RenderedRequest, ResponseVerdict } from './types';

/**
 * `feishu`: a 飞书 custom bot (`https://open.feishu.cn/open-apis/bot/v2/hook/…`).
 *
 * Checked against 飞书开放平台「自定义机器人使用指南」(open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN)
 * and, for the details of the signature and error replies, blog.csdn.net/zhanglili1993/article/details/136473704
 * and blog.csdn.net/qq_43108153/article/details/136166075:
 * - POST JSON, body at most 20 KB; an interactive card is `{"msg_type":"interactive","card":{…}}`
 *   (card layout: open.feishu.cn「Message card content reference」);
 * - 签名校验: the string `<timestamp seconds>` + "\n" + secret is the HmacSHA256 *key*, the message
 *   is empty, the result is Base64; `timestamp` (seconds, as a string) and `sign` go in the body;
 *   the timestamp must be within one hour;
 * - replies: `{"code":0,"msg":"success",…}` (older robots: `StatusCode`); 19021 = signature or
 *   timestamp check failed, 19022 = IP not allowed, 19024 = keyword missing, 9499 = bad request;
 *   11232 = rate limited (100 per minute, 5 per second per bot, worst at the top of the hour).
 *   Throttled bots have also been seen to answer HTTP 400 `{"code":9499,"msg":"too many request"}`
 *   (github.com/ccfos/nightingale/issues/1437), and the platform's rate-limit page gives 99991400
 *   for older APIs (open.larkoffice.com/document/ukTMukTMukTM/uUzN04SN3QjL1cDN): both retry.
 */

/** The card text stays well inside the 20 KB body limit, whatever the JSON escaping adds. */
export const FEISHU_CARD_TEXT_MAX_BYTES = 16_000;

const RULES: BotReplyRules = {
  bot: '飞书',
  codeKeys: ['code', 'StatusCode'],
  retryable: new Map([
    [11232, { meaning: 'rate limited, 100 per minute and 5 per second per bot' }],
    [99991400, { meaning: 'rate limited' }],
  ]),
  retryableMessages: [
    { code: 9499, messageKey: 'msg', pattern: /too many request/i, meaning: 'rate limited (too many requests)' },
  ],
};

/**
 * An interactive card: a header with the title (grey for a test send) and one markdown block of
 * `label：value` lines. With a secret (the first of `endpoint.secrets`), the body carries
 * `timestamp` (seconds of `now`) and `sign`.
 */
export function renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  const card = leadCard(delivery);
  const text = truncateUtf8(
    card.fields.map((f) => `**${f.label}**：${escapeMarkdown(f.value)}`).join('\n'),
    FEISHU_CARD_TEXT_MAX_BYTES,
  );
  const message = {
    msg_type: 'interactive',
    card: {
      config: { wide_screen_mode: true },
      header: { template: card.test ? 'grey' : 'blue', title: { tag: 'plain_text', content: card.title } },
      elements: [{ tag: 'div', text: { tag: 'lark_md', content: text } }],
    },
  };
  const secret = endpoint.secrets[0];
  let body: string;
  if (secret === undefined) body = JSON.stringify(message);
  else {
    const timestamp = Math.floor(now.getTime() / 1000);
    body = JSON.stringify({ timestamp: String(timestamp), sign: feishuSign(timestamp, secret), ...message });
  }
  return { url: endpoint.url, headers: requestHeaders(endpoint, {}), body };
}

/** base64(HmacSHA256(key = `<timestampSeconds>\n<secret>`, message = empty)). */
export function feishuSign(timestampSeconds: number, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** `code` 0 = delivered; 11232 retries; any other code (19021 bad signature, 19024 keyword, …) is permanent. */
export function interpretResponse(status: number, bodyText: string): ResponseVerdict | undefined {
  return interpretBotReply(status, bodyText, RULES);
}
