import { createHmac } from 'node:crypto';
import type { Endpoint } from '../../domain/settings';
import type { Delivery } from '../delivery';
import { interpretBotReply, type BotReplyRules } from './bot-reply';
import { escapeMarkdown, leadCard, truncateUtf8 } from './card';
import { requestHeaders } from './headers';
import type { RenderedRequest, ResponseVerdict } from './types';

/**
 * `dingtalk`: a 钉钉 custom robot (`https://oapi.dingtalk.com/robot/send?access_token=…`).
 *
 * Checked against 钉钉开放平台「自定义机器人接入」and「自定义机器人安全设置」(open.dingtalk.com,
 * as reproduced in blog.csdn.net/weixin_43564241/article/details/139138811, codeprj.com/zh/blog/b9f52b1.html
 * and juejin.cn/post/7129698690297495583):
 * - message: POST JSON `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`, UTF-8;
 * - 加签: string to sign = `<timestamp ms>` + "\n" + secret (the `SEC…` string), HmacSHA256 keyed
 *   by the secret, Base64, then URL-encoded; sent as `timestamp` and `sign` query parameters;
 *   the timestamp must be within one hour of DingTalk's clock;
 * - 20 messages per minute per robot; above that the robot is throttled for 10 minutes and answers
 *   errcode 130101 "send too fast" (blog.csdn.net/jialiuyang/article/details/118615052) or, per
 *   user reports, a 302 (kmanong.top "使用 Redis 解决钉钉机器人报警频率限制");
 * - errcode 310000 = signature, timestamp, keyword or IP check failed (github.com/x-cold/dingtalk-robot/issues/7,
 *   github.com/jenkinsci/dingtalk-plugin/issues/116): a configuration problem, not worth retrying.
 */

export const DINGTALK_MARKDOWN_MAX_BYTES = 4000;
/** The documented throttle after exceeding 20 messages a minute. */
export const DINGTALK_THROTTLE_SECONDS = 600;

const RULES: BotReplyRules = {
  bot: '钉钉',
  codeKeys: ['errcode'],
  retryable: new Map([
    [-1, { meaning: 'system busy' }],
    [130101, { meaning: 'rate limited, 20 messages per minute per robot', retryAfterSeconds: DINGTALK_THROTTLE_SECONDS }],
  ]),
};

/**
 * A markdown message with the lead card. With a secret (the first of `endpoint.secrets`), the URL
 * gets `timestamp` (ms of `now`) and `sign` appended to the query the endpoint already has.
 */
export function renderRequest(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  const card = leadCard(delivery);
  const lines = [`#### ${card.title}`, '', ...card.fields.map((f) => `- **${f.label}**：${escapeMarkdown(f.value)}`)];
  const text = truncateUtf8(lines.join('\n'), DINGTALK_MARKDOWN_MAX_BYTES);
  const body = JSON.stringify({ msgtype: 'markdown', markdown: { title: card.title, text } });
  const secret = endpoint.secrets[0];
  const url = secret === undefined ? endpoint.url : signedUrl(endpoint.url, now.getTime(), secret);
  return { url, headers: requestHeaders(endpoint, { 'content-type': 'application/json; charset=utf-8' }), body };
}

/** base64(HmacSHA256(key = secret, message = `<timestampMs>\n<secret>`)), before URL-encoding. */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/**
 * `errcode` 0 = delivered; -1 and 130101 retry; a 3xx retries after the throttle window (the
 * robot redirects while it punishes a sender); other codes (310000 bad signature or keyword,
 * 300001 unknown token, …) are permanent.
 */
export function interpretResponse(status: number, bodyText: string): ResponseVerdict | undefined {
  if (status >= 300 && status < 400) {
    return {
      outcome: 'retry',
      reason: `HTTP ${status} from 钉钉 (throttled robot)`,
      retryAfterSeconds: DINGTALK_THROTTLE_SECONDS,
    };
  }
  return interpretBotReply(status, bodyText, RULES);
}

function signedUrl(base: string, timestampMs: number, secret: string): string {
  const url = new URL(base);
  // Appended to the raw query, so the access_token stays byte for byte as configured.
  const extra = `timestamp=${timestampMs}&sign=${encodeURIComponent(dingtalkSign(timestampMs, secret))}`;
  url.search = url.search === '' || url.search === '?' ? `?${extra}` : `${url.search}&${extra}`;
  return url.toString();
}
