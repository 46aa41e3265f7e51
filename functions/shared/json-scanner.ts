/** A walk over JSON text (RFC 8259) that reports positions in it, for messages that must not quote it. */

/** 1-based line and column of `offset` in `text`, as an editor shows them. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Thrown by JsonScanner at the first offset where the text stops being JSON. */
export class JsonSyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/** RFC 8259, checked only: values are not built (JSON.parse already did or could not). */
export class JsonScanner {
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
