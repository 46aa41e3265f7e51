/** Locating a JSON syntax error without quoting the text, which may hold secrets. */

import { printParseErrorCode, type ParseErrorCode } from 'jsonc-parser';
import { lineAndColumn, visitStrictJson } from './json-visit';

/** Where JSON.parse failed and what to check there, in words that quote none of the text. */
export function jsonSyntaxProblem(text: string): string {
  if (text.trim() === '') return 'it is empty';
  // UTF-16 (Windows "Unicode", PowerShell 5's default) read as UTF-8: a NUL after every ASCII letter.
  if (text.startsWith('\uFFFD\uFFFD') || text.includes('\u0000'))
    return 'it is not UTF-8 text (UTF-16, as Windows "Unicode" saves it, or binary): save it as UTF-8';
  const offset = jsonSyntaxErrorOffset(text);
  if (offset === undefined) return 'check its quotes, commas and brackets';
  // Invisible in most editors, so "check the quotes at column 1" would send the reader looking
  // for something they cannot see.
  if (offset === 0 && text.startsWith('\uFEFF'))
    return 'it starts with a byte order mark (U+FEFF, invisible in most editors): remove it (an editor removes it when saving as UTF-8 without BOM)';
  const { line, column } = lineAndColumn(text, offset);
  if (offset >= text.length) return `it ends early at line ${line}, column ${column}: a string, list or object is not closed`;
  if (text.startsWith('//', offset) || text.startsWith('/*', offset))
    return `syntax error at line ${line}, column ${column}: JSON has no comments; remove it`;
  return `syntax error at line ${line}, column ${column}: check the quotes and commas there (every text value, a URL or a secret included, needs double quotes)`;
}

/**
 * Offset of the first JSON syntax error in `text` (the text's length if it ends early), or
 * undefined if it has none: the character JSON.parse stops at. Computed here because Node's
 * messages give a position only for some errors, and otherwise a quote of the input instead.
 *
 * jsonc-parser reports each error at the start of the token it is in; the character within the
 * token is found here. It also reads past an unknown word (`tru`, an unquoted secret) as if it
 * were not there, so whether a value was expected at that word is followed here too.
 */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  /** The token of the first error: an error at a later one follows from it. */
  let token: number | undefined;
  let offset: number | undefined;
  const containers: ('object' | 'array')[] = [];
  let valueExpected = true;
  const valueRead = (): void => {
    valueExpected = false;
  };
  try {
    visitStrictJson(text, {
      onObjectBegin: () => {
        containers.push('object');
        valueExpected = false;
      },
      onArrayBegin: () => {
        containers.push('array');
        valueExpected = true;
      },
      onObjectEnd: () => {
        containers.pop();
        valueRead();
      },
      onArrayEnd: () => {
        containers.pop();
        valueRead();
      },
      onObjectProperty: valueRead,
      onLiteralValue: valueRead,
      onSeparator: (separator) => {
        valueExpected = separator === ':' || containers.at(-1) === 'array';
      },
      onError: (error, at, length) => {
        token ??= at;
        if (at !== token) return;
        // A string with a bad escape where a comma was due: JSON.parse stops at its quote.
        const here = errorOffsetInToken(text, error, at, length, valueExpected);
        if (offset === undefined || here < offset) offset = here;
      },
    });
  } catch (error) {
    // Nesting deeper than the parser's stack: no location rather than a wrong one.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  return offset;
}

const KEYWORDS = ['true', 'false', 'null'];
const ESCAPES = '"\\/bfnrt';
const HEX_DIGIT = /^[0-9A-Fa-f]$/;

/** The character JSON.parse stops at, for `error` in the token of `length` at `at`. */
function errorOffsetInToken(text: string, error: ParseErrorCode, at: number, length: number, valueExpected: boolean): number {
  // By name: ParseErrorCode is a const enum, which isolated modules cannot read.
  switch (printParseErrorCode(error)) {
    case 'UnexpectedEndOfNumber': // `1.`, `1e`, `1e+`: what follows is not a digit
      return at + length;
    case 'InvalidSymbol':
      return valueExpected ? at + valuePrefixLength(text.slice(at, at + length)) : at;
    case 'UnexpectedEndOfString':
    case 'InvalidCharacter':
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode':
      return stringErrorOffset(text, at);
    default:
      return at;
  }
}

/** How much of `word`, an unknown word where a value goes, is the start of one: a keyword's letters, or a minus sign. */
function valuePrefixLength(word: string): number {
  if (word === '-') return 1;
  const keyword = KEYWORDS.find((candidate) => candidate[0] === word[0]);
  let n = 0;
  while (keyword !== undefined && n < keyword.length && word[n] === keyword[n]) n++;
  return n;
}

/** The first character that ends the string opening at `quote` badly: a control character, a bad escape, or the end of the text. */
function stringErrorOffset(text: string, quote: number): number {
  let i = quote + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined) return text.length;
    if (c === '"') return i; // not reached: jsonc-parser found an error before the closing quote
    if (c < ' ') return i;
    if (c !== '\\') {
      i++;
      continue;
    }
    const escape = text[i + 1];
    if (escape === undefined) return text.length;
    if (escape === 'u') {
      for (let n = 2; n < 6; n++) if (!HEX_DIGIT.test(text.charAt(i + n))) return Math.min(i + n, text.length);
      i += 6;
    } else if (ESCAPES.includes(escape)) i += 2;
    else return i + 1;
  }
}
