import { isRecord } from '../../domain/is-record';
import type { ResponseVerdict } from './types';

/**
 * Reads the JSON reply of a chat robot. WeCom, DingTalk and Feishu answer HTTP 200 even when
 * they refuse a message, with the verdict in a numeric body code (0 = accepted), so a 200 is
 * "delivered" only when that code says so.
 */

export interface RetryableCode {
  /** Why it is worth retrying, for the operator reading the reason. */
  meaning: string;
  /** The robot's documented penalty window, when it has one. */
  retryAfterSeconds?: number;
}

export interface BotReplyRules {
  /** Shown in reasons: `企业微信`, `钉钉`, `飞书`. */
  bot: string;
  /** Body keys holding the code, first present wins (Feishu has a legacy `StatusCode`). */
  codeKeys: readonly string[];
  /** Codes that mean "later" (rate limits, busy); every other non-zero code is permanent. */
  retryable: ReadonlyMap<number, RetryableCode>;
  /**
   * A generic code that means "later" only with a given message (Feishu answers a throttled bot
   * with 9499 "too many request"). The message is read for this test only, never reported.
   */
  retryableMessages?: readonly (RetryableCode & { code: number; messageKey: string; pattern: RegExp })[];
}

/**
 * The verdict of a robot's reply, or undefined when the HTTP status should decide (410, 429,
 * 5xx, or a non-2xx answer without a robot code). A 2xx that is not the robot's JSON (a proxy or
 * captive page answered) is retried: it is no proof the group received the lead.
 */
export function interpretBotReply(status: number, bodyText: string, rules: BotReplyRules): ResponseVerdict | undefined {
  if (status === 410 || status === 429 || status >= 500) return undefined;
  const success = status >= 200 && status < 300;
  const reply = parseJson(bodyText);
  const code = reply === undefined ? undefined : firstCode(reply, rules.codeKeys);
  if (reply === undefined || code === undefined) {
    // The body itself is kept out of the reason (it is not the robot's, so it may echo anything).
    return success ? { outcome: 'retry', reason: `HTTP ${status} from ${rules.bot} without a robot reply code` } : undefined;
  }
  if (code === 0) return success ? { outcome: 'delivered' } : undefined;
  // The robot's message stays out of the reason (which is logged): a relay in front of a robot,
  // or the robot itself, may quote what it was sent. The code says what happened; the message
  // goes with the lead to the DLQ as part of the answer (forwarder/outcome.ts).
  const retry =
    rules.retryable.get(code) ??
    rules.retryableMessages?.find((rule) => rule.code === code && rule.pattern.test(textOf(reply[rule.messageKey])));
  if (retry !== undefined) {
    const reason = `${rules.bot} error ${code} (${retry.meaning})`;
    return retry.retryAfterSeconds === undefined
      ? { outcome: 'retry', reason }
      : { outcome: 'retry', reason, retryAfterSeconds: retry.retryAfterSeconds };
  }
  return { outcome: 'rejected', reason: `${rules.bot} error ${code}` };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function firstCode(reply: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = reply[key];
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
