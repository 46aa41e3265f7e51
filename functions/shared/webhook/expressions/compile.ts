import type jsonata from 'jsonata';
import { LeadForwarderError } from '../../domain/errors';

/**
 * JSONata expressions (DESIGN §7; the language: docs.jsonata.org), compiled once when the
 * configuration is read. The bounds below are jsonata's own guardrails (its `timeout`, `stack`
 * and `sequence` options, checked each time the evaluator enters an expression node, the way the
 * `timeboxExpression` of its test suite hooks `onEnter`): a runaway expression fails its
 * evaluation with a named error instead of holding the forwarder. The whole evaluation runs on
 * microtasks, so a timer could never interrupt it: the check has to come from inside.
 */

/** An evaluation that takes longer stops with D1012. Real templates take well under 1 ms. */
export const EXPRESSION_TIMEOUT_MS = 250;
/** Nested evaluation depth (D1011): a recursion this deep is endless in practice, and stays far inside Node's stack. */
export const EXPRESSION_MAX_DEPTH = 500;
/** Longest sequence an expression may build (D2014/D2015): a lead has a few dozen fields. */
export const EXPRESSION_MAX_SEQUENCE = 100_000;

/** An expression ready to evaluate, with its text for messages and `check`. */
export interface CompiledExpression {
  readonly source: string;
  readonly program: jsonata.Expression;
}

/** An expression that does not compile: jsonata's code and where in the text it stopped. */
export class ExpressionSyntaxError extends LeadForwarderError {
  override readonly name: string = 'ExpressionSyntaxError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly position: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Compiles `source`. Throws ExpressionSyntaxError with jsonata's own explanation: it quotes the
 * expression's tokens, never data, and the expression is the operator's own configuration.
 */
export function compileExpression(source: string): CompiledExpression {
  try {
    const program = loadJsonata()(source, {
      timeout: EXPRESSION_TIMEOUT_MS,
      stack: EXPRESSION_MAX_DEPTH,
      sequence: EXPRESSION_MAX_SEQUENCE,
    });
    return { source, program };
  } catch (error) {
    // jsonata throws plain objects ({code, position, token, message}), not Error instances.
    const { code, position, message } = jsonataFailure(error);
    throw new ExpressionSyntaxError(
      `${message ?? 'does not compile'}${code === undefined ? '' : ` (JSONata ${code}${position === undefined ? '' : ` at character ${position}`})`}`,
      code,
      position,
    );
  }
}

/**
 * jsonata (81 KB of a minified bundle) required where it is first used, not imported: the poller
 * bundles the settings parser, never compiles an expression, and so carries none of it. A
 * top-level import would keep it there, since esbuild cannot tell that requiring it is harmless.
 */
function loadJsonata(): typeof jsonata {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: see above
  return require('jsonata') as typeof jsonata;
}

export interface JsonataFailure {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

/** The fields of what jsonata threw, whatever its shape. */
export function jsonataFailure(error: unknown): JsonataFailure {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const { code, position, token, message } = error as Record<string, unknown>;
  return {
    code: typeof code === 'string' ? code : undefined,
    position: typeof position === 'number' ? position : undefined,
    token: typeof token === 'string' ? token : undefined,
    message: typeof message === 'string' ? message : undefined,
  };
}
