/** Locating a JSON syntax error without quoting the text, which may hold secrets. */

/** Where JSON.parse failed and what to check there, in words that quote none of the text. */
export function jsonSyntaxProblem(text: string): string {
  if (text.trim() === '') return 'it is empty';
  const offset = jsonSyntaxErrorOffset(text);
  if (offset === undefined) return 'check its quotes, commas and brackets';
  // Invisible in most editors, so "check the quotes at column 1" would send the reader looking
  // for something they cannot see.
  if (offset === 0 && text.startsWith('\uFEFF')) return 'it starts with a byte order mark (U+FEFF, invisible in most editors): remove it (an editor removes it when saving as UTF-8 without BOM)';
  const { line, column } = lineAndColumn(text, offset);
  if (offset >= text.length) return `it ends early at line ${line}, column ${column}: a string, list or object is not closed`;
  return `syntax error at line ${line}, column ${column}: check the quotes and commas there (every text value, a URL or a secret included, needs double quotes)`;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
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

class JsonSyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/** RFC 8259, checked only: values are not built (JSON.parse already did or could not). */
class JsonScanner {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): void {
    this.value();
    this.space();
    if (this.i < this.s.length) this.fail();
  }

  private value(): void {
    this.space();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) if (c === word[0]) return this.word(word);
    this.fail();
  }

  private object(): void {
    this.i++;
    this.space();
    if (this.eat('}')) return;
    for (;;) {
      this.space();
      if (this.s[this.i] !== '"') this.fail();
      this.string();
      this.space();
      if (!this.eat(':')) this.fail();
      this.value();
      this.space();
      if (this.eat(',')) continue;
      if (this.eat('}')) return;
      this.fail();
    }
  }

  private array(): void {
    this.i++;
    this.space();
    if (this.eat(']')) return;
    for (;;) {
      this.value();
      this.space();
      if (this.eat(',')) continue;
      if (this.eat(']')) return;
      this.fail();
    }
  }

  private string(): void {
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c < ' ') this.fail();
      this.i++;
      if (c === '"') return;
      if (c !== '\\') continue;
      const escape = this.s[this.i];
      if (escape === 'u') {
        this.i++;
        for (let n = 0; n < 4; n++) this.digit(/[0-9A-Fa-f]/);
      } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) this.i++;
      else this.fail();
    }
  }

  private number(): void {
    this.eat('-');
    if (!this.eat('0')) this.digits();
    if (this.eat('.')) this.digits();
    if (this.eat('e') || this.eat('E')) {
      if (!this.eat('+')) this.eat('-');
      this.digits();
    }
  }

  private digits(): void {
    this.digit(/[0-9]/);
    while (/[0-9]/.test(this.s.charAt(this.i))) this.i++;
  }

  private digit(pattern: RegExp): void {
    if (!pattern.test(this.s.charAt(this.i))) this.fail();
    this.i++;
  }

  private word(word: string): void {
    for (const letter of word) if (!this.eat(letter)) this.fail();
  }

  private space(): void {
    while (/[ \t\n\r]/.test(this.s.charAt(this.i))) this.i++;
  }

  private eat(c: string): boolean {
    if (this.s[this.i] !== c) return false;
    this.i++;
    return true;
  }

  private fail(): never {
    throw new JsonSyntaxAt(this.i);
  }
}
