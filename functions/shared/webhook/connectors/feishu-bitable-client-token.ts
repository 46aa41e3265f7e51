import { createHash } from 'node:crypto';

/**
 * The record's `client_token` (新增记录, query parameter: "a standard uuidv4, the unique identifier
 * of the operation, for idempotent operations"; 1254037 when it is not one): the same for
 * (endpoint, webhook id) on every attempt, so Feishu answers a re-send with the record it made
 * the first time. https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/bitable-v1/app-table-record/create
 *
 * A name-based UUID (v5) would be the textbook choice, but it carries version 5, and Feishu asks
 * for v4: the 122 free bits come from SHA-256 of the pair, with v4's version and variant bits set.
 * The endpoint name is in the hash, so two endpoints writing to one table make a record each.
 */
export function bitableClientToken(endpointName: string, webhookId: string): string {
  const bytes = createHash('sha256')
    .update(JSON.stringify(['feishu-bitable', endpointName, webhookId]), 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
