import { messageOf } from '../../shared/domain/errors';

/**
 * Error advice names the stack parameter to change (TopSessionKey, …); run locally, the same
 * setting is a key of the config file, so the advice is translated.
 */
const CONFIG_KEYS: readonly [RegExp, string][] = [
  [/\bTopAppKey\b/g, 'top.appKey'],
  [/\bTopAppSecret\b/g, 'top.appSecret'],
  [/\bTopSessionKey\b/g, 'top.sessionKey'],
  [/\bTopGatewayUrl\b/g, 'top.gatewayUrl'],
  [/\bTopSignMethod\b/g, 'top.signMethod'],
  [/\bPageSize\b/g, 'top.pageSize'],
];

/** One line: the error's message with config-file names, newlines folded. */
export function localAdvice(error: unknown): string {
  let text = messageOf(error).replace(/\s*\n\s*/g, '; ');
  for (const [pattern, key] of CONFIG_KEYS) text = text.replace(pattern, key);
  return text;
}
