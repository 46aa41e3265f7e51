import { LeadForwarderError } from '../../domain/errors';
import type { StandardPayload } from '../standard-payload';
import {
  EXPRESSION_MAX_DEPTH,
  EXPRESSION_MAX_SEQUENCE,
  EXPRESSION_TIMEOUT_MS,
  jsonataFailure,
  type CompiledExpression,
} from './compile';

/** What every expression sees besides its input (DESIGN §7). */
export interface ExpressionBindings {
  /** `lead_<id>` (`test_<id>` for a test send), as in the `webhook-id` header. */
  webhookId: string;
}

/**
 * An expression that failed on one lead. `message` names the setting (`what`) and jsonata's
 * code, never a value: jsonata's own message may quote the lead (`got: "张三"`), so it is kept
 * apart in `detail`, for places that show a synthetic lead's failure (`check`), never for logs.
 */
export class ExpressionEvaluationError extends LeadForwarderError {
  override readonly name: string = 'ExpressionEvaluationError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * It ran out of time (D1012): not a fact about the lead. The bound is wall-clock, so a busy
   * machine (a CPU-starved container, evaluations of a whole batch interleaved) can make a
   * sub-millisecond template late; an endless one runs out every time.
   */
  get outOfTime(): boolean {
    return this.code === 'D1012';
  }
}

/** Our words for the failures an operator most needs explained; other codes are looked up in jsonata's docs. */
const MEANINGS: Record<string, string> = {
  D1011: `recursed deeper than ${EXPRESSION_MAX_DEPTH} levels (an endless recursion?)`,
  D1012: `ran longer than ${EXPRESSION_TIMEOUT_MS} ms (an endless loop?)`,
  D2014: 'built a range too large',
  D2015: `built a sequence longer than ${EXPRESSION_MAX_SEQUENCE} items`,
  D3137: '$error() was called',
};

/**
 * Evaluates `expression` over `payload` with `$webhookId` bound, and returns the result as plain
 * JSON data (jsonata's sequences become arrays, functions are dropped; `undefined` when the
 * expression yields nothing). Throws ExpressionEvaluationError, whatever went wrong, within
 * EXPRESSION_TIMEOUT_MS. `what` names the setting in the message, e.g. `webhooks "crm".body`.
 */
export async function evaluateExpression(
  expression: CompiledExpression,
  payload: StandardPayload,
  bindings: ExpressionBindings,
  what: string,
): Promise<unknown> {
  let result: unknown;
  try {
    result = (await expression.program.evaluate(payload, { webhookId: bindings.webhookId })) as unknown;
  } catch (error) {
    // No `cause` holding jsonata's object: its message and `value` may quote the lead.
    const { code, position, token, message } = jsonataFailure(error);
    const meaning = code === undefined ? 'failed' : (MEANINGS[code] ?? `failed with JSONata error ${code}`);
    const at =
      position === undefined
        ? ''
        : ` at character ${position}${token === undefined || !/^[\w$]{1,32}$/.test(token) ? '' : ` (${token})`}`;
    throw new ExpressionEvaluationError(`${what} ${meaning}${at}`, code, message);
  }
  return plainJson(result, what);
}

function plainJson(value: unknown, what: string): unknown {
  if (value === undefined) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch (error) {
    throw new ExpressionEvaluationError(`${what} yielded a value that is not JSON data`, undefined, undefined, { cause: error });
  }
}
