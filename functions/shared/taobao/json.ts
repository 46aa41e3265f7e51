import { isLeadId, type LeadId } from '../domain/ids';

/**
 * JSON for TOP, where ids are integers that may exceed 2^53 (DESIGN §1, §6). `JSON.parse`
 * would round them silently (9007199254740993 → 9007199254740992), so they are turned into
 * decimal strings before parsing; and the one object parameter carrying an id is written by
 * hand so the offset goes out with every digit.
 */

const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;
const SIXTEEN_DIGITS = /[0-9]{16}/;

/**
 * `JSON.parse`, except that every integer literal that is not a safe integer comes back as its
 * exact decimal string ("9007199254740993"). Safe integers, fractions and exponents are parsed
 * as usual; string contents (digits, escaped quotes) are never touched; invalid JSON still
 * throws a SyntaxError.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text)) as unknown;
}

/**
 * Rewrites `text` so that unsafe integer literals become string literals. A one-pass scanner:
 * outside strings a digit or '-' can only start a number in valid JSON, and inside strings
 * everything up to the closing unescaped quote is copied as is.
 */
export function quoteUnsafeIntegers(text: string): string {
  // An unsafe integer has at least 16 digits; most pages have no such run, and the native regex
  // finds that out several times faster than the scanner below.
  if (!SIXTEEN_DIGITS.test(text)) return text;
  const parts: string[] = [];
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      i = endOfString(text, i);
    } else if (ch === MINUS || isDigit(ch)) {
      const end = endOfNumber(text, i);
      const literal = text.slice(i, end);
      if (CANONICAL_INTEGER.test(literal) && !Number.isSafeInteger(Number(literal))) {
        parts.push(text.slice(copiedUpTo, i), `"${literal}"`);
        copiedUpTo = end;
      }
      i = end;
    } else {
      i += 1;
    }
  }
  if (copiedUpTo === 0) return text;
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}

/**
 * The `lead_external_query_dto` parameter: `{"offset":<id>,"page_size":<n>}`, snake_case keys,
 * the offset a bare JSON number with every digit (an id beyond 2^53 included), and no offset
 * at all for the newest page. The returned text is what gets signed and sent.
 */
export function writeLeadQueryDto(query: { offset?: LeadId; pageSize: number }): string {
  if (!Number.isSafeInteger(query.pageSize) || query.pageSize < 1) {
    throw new RangeError(`page size must be a positive integer, got ${query.pageSize}`);
  }
  if (query.offset === undefined) return `{"page_size":${query.pageSize}}`;
  if (!isLeadId(query.offset)) throw new RangeError(`offset must be a decimal lead id, got ${JSON.stringify(query.offset)}`);
  return `{"offset":${query.offset},"page_size":${query.pageSize}}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;

function isDigit(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

/** Index just past the string literal opening at `start` (or the text's end if unterminated). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === BACKSLASH)
      i += 2; // skips the escaped character, `\"` included
    else if (ch === QUOTE) return i + 1;
    else i += 1;
  }
  return text.length;
}

/** Index just past the number token starting at `start`: sign, digits, fraction, exponent. */
function endOfNumber(text: string, start: number): number {
  let i = start;
  while (i < text.length && isNumberChar(text.charCodeAt(i))) i += 1;
  return i;
}

function isNumberChar(ch: number): boolean {
  // digits, '-', '+', '.', 'e', 'E': anything else ends the token.
  return isDigit(ch) || ch === MINUS || ch === 0x2b || ch === 0x2e || ch === 0x65 || ch === 0x45;
}
