/** Locating a JSON syntax error without quoting the text, which may hold secrets. */

import { JsonScanner, JsonSyntaxAt, lineAndColumn } from './json-scanner';

/** Where JSON.parse failed and what to check there, in words that quote none of the text. */
export function jsonSyntaxProblem(text: string): string {
  if (text.trim() === '') return 'it is empty';
  // UTF-16 (Windows "Unicode", PowerShell 5's default) read as UTF-8: a NUL after every ASCII letter.
  if (text.startsWith('\uFFFD\uFFFD') || text.includes('\u0000')) return 'it is not UTF-8 text (UTF-16, as Windows "Unicode" saves it, or binary): save it as UTF-8';
  const offset = jsonSyntaxErrorOffset(text);
  if (offset === undefined) return 'check its quotes, commas and brackets';
  // Invisible in most editors, so "check the quotes at column 1" would send the reader looking
  // for something they cannot see.
  if (offset === 0 && text.startsWith('\uFEFF')) return 'it starts with a byte order mark (U+FEFF, invisible in most editors): remove it (an editor removes it when saving as UTF-8 without BOM)';
  const { line, column } = lineAndColumn(text, offset);
  if (offset >= text.length) return `it ends early at line ${line}, column ${column}: a string, list or object is not closed`;
  if (text.startsWith('//', offset) || text.startsWith('/*', offset)) return `syntax error at line ${line}, column ${column}: JSON has no comments; remove it`;
  return `syntax error at line ${line}, column ${column}: check the quotes and commas there (every text value, a URL or a secret included, needs double quotes)`;
}

/**
 * Offset of the first JSON syntax error in `text` (the text's length if it ends early), or
 * undefined if it has none. Computed here because Node's messages give a position only for some
 * errors, and otherwise a quote of the input instead.
 */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  const scanner = new JsonScanner(text);
  try {
    scanner.document();
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxAt) return error.offset;
    return undefined; // nesting deeper than the stack: no location rather than a wrong one
  }
}
