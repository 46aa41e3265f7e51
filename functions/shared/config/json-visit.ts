/** Strict JSON (RFC 8259) read through jsonc-parser's visitor, for messages that locate a problem without quoting the text. */

import { visit, type JSONVisitor } from 'jsonc-parser';

/**
 * jsonc-parser reads JSON with comments; told so, it reports comments as errors. Trailing commas
 * and empty text are errors unless allowed, and are not.
 */
const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

/** visit() over `text` as RFC 8259 JSON: a comment or trailing comma is an error, reported to onError. */
export function visitStrictJson(text: string, visitor: JSONVisitor): void {
  visit(text, visitor, STRICT);
}

/** 1-based line and column of `offset` in `text`, as an editor shows them. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}
