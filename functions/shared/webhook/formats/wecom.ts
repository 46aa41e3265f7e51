import type { Endpoint } from '../../domain/settings';
import type { Delivery } from '../delivery';
import { interpretBotReply, type BotReplyRules } from './bot-reply';
import { escapeMarkdown, leadCard, truncateUtf8 } from './card';
import { requestHeaders } from './headers';
import type { RenderedRequest, ResponseVerdict } from './types';

/**
 * `wecom`: a 企业微信 group robot (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`).
 *
 * Checked against: 企业微信开发者中心「群机器人配置说明」developer.work.weixin.qq.com/document/path/91770
 * (as reproduced in cnblogs.com/tiandi/p/17768525.html and juejin.cn/post/7291125585668259840):
 * POST JSON `{"msgtype":"markdown","markdown":{"content":…}}`, content at most 4096 bytes of
 * UTF-8; the key in the URL is the only credential (no request signing), 20 messages per minute
 * per robot. Global codes (「全局错误码」document/path/90313): -1 = system busy, retry later;
 * 45009 = "api freq out of limit"; the reply is `{"errcode":0,"errmsg":"ok"}` on success.
 */

export const WECOM_MARKDOWN_MAX_BYTES = 4096;

const RULES: BotReplyRules = {
  bot: '企业微信',
  codeKeys: ['errcode'],
  retryable: new Map([
    [-1, { meaning: 'system busy' }],
    // The limit is per minute: waiting one minute is the earliest a retry can succeed.
    [45009, { meaning: 'rate limited, 20 messages per minute per robot', retryAfterSeconds: 60 }],
  ]),
};

/** A markdown message: the lead card as quoted `label：value` lines under a bold title. */
export function renderRequest(endpoint: Endpoint, delivery: Delivery, _now: Date): RenderedRequest {
  const card = leadCard(delivery);
  const lines = [`**${card.title}**`, ...card.fields.map((f) => `> ${f.label}：${escapeMarkdown(f.value)}`)];
  const content = truncateUtf8(lines.join('\n'), WECOM_MARKDOWN_MAX_BYTES);
  const body = JSON.stringify({ msgtype: 'markdown', markdown: { content } });
  return { url: endpoint.url, headers: requestHeaders(endpoint, {}), body };
}

/** `errcode` 0 = delivered; -1 and 45009 retry; any other code (e.g. 93000 invalid webhook URL) is permanent. */
export function interpretResponse(status: number, bodyText: string): ResponseVerdict | undefined {
  return interpretBotReply(status, bodyText, RULES);
}
