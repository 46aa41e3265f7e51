import type { ReasonClass } from './types';

/**
 * What a Feishu answer's `code` means for a record create, read before the HTTP status (the
 * platform puts errors on HTTP 400 and 200 alike, some on 403 or 504). Sources:
 * - generic codes, 服务端错误码说明: https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code
 *   (99991661 no token, 99991663 tenant token invalid or expired, 99991668 access token invalid,
 *   99991672 the app lacks a scope, 99991400 request trigger frequency limit);
 * - rate limits, 频控策略: https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
 *   (HTTP 429, or 400 on older APIs, code 99991400, `x-ogw-ratelimit-reset` seconds);
 * - the create page's error table, 新增记录: https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/bitable-v1/app-table-record/create
 *   (1254290 too many requests; 1254291 write conflict, one table takes no concurrent writes;
 *   1254607 data not ready, "can be retried"; 1255040 timed out, "try again"; 1254036 base being
 *   copied, "try again later"; 1254002 and 1255001–1255005 internal errors; 1254608 the same
 *   request submitted again while the first is in progress, whose retry then finds the record by
 *   its client_token; 1254302/1254304 no permission under the base's advanced permissions;
 *   1254003/1254004/1254040/1254041 no such base or table; 1254045 FieldNameNotFound;
 *   1254015 and 1254060–1254074 a value its column cannot take; 1254037 a client_token that is not
 *   a uuidv4; 1255006 a client_token reused for another request);
 * - 91403 Forbidden: the app is not a collaborator of the base (the platform's error-code search,
 *   quoted in github.com/other-blowsnow/n8n-nodes-feishu-lite/issues/19; larksuite/cli#1778).
 * Every other non-zero code is permanent for the lead, as DESIGN §7 says.
 */
export type BitableCodeMeaning =
  | { kind: 'delivered' }
  | { kind: 'reauthenticate' }
  | { kind: 'retry'; reasonClass: Extract<ReasonClass, 'rate-limit' | 'vendor-error'> }
  | { kind: 'rejected'; reasonClass: Extract<ReasonClass, 'auth' | 'rejected-field'> };

const REAUTHENTICATE = new Set([99991661, 99991663, 99991668]);
const RATE_LIMITED = new Set([99991400, 1254290]);
const TRANSIENT = new Set([1254002, 1254036, 1254291, 1254607, 1254608, 1255001, 1255002, 1255003, 1255004, 1255005, 1255040]);
/** The app may not write here: scopes, collaborator access, advanced permissions. */
const NOT_ALLOWED = new Set([91403, 99991672, 1254302, 1254304]);

export function bitableCodeMeaning(code: number): BitableCodeMeaning {
  if (code === 0) return { kind: 'delivered' };
  if (REAUTHENTICATE.has(code)) return { kind: 'reauthenticate' };
  if (RATE_LIMITED.has(code)) return { kind: 'retry', reasonClass: 'rate-limit' };
  if (TRANSIENT.has(code)) return { kind: 'retry', reasonClass: 'vendor-error' };
  if (NOT_ALLOWED.has(code)) return { kind: 'rejected', reasonClass: 'auth' };
  // A field, a value or the base/table id: what the endpoint's mapping or settings must fix.
  return { kind: 'rejected', reasonClass: 'rejected-field' };
}
