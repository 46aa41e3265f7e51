import { shownKey } from './shown-key';

/** A walk over JSON text (RFC 8259) that reports positions in it, for messages that must not quote it. */

/** A key given twice in one object: RFC 8259 says names SHOULD be unique, and JSON.parse keeps the last. */
export interface DuplicateKey {
  /** Where the key sits, as a config's problems name settings: `startFrom`, `webhooks[0].url`, `[0].headers["X-Shop"]`. */
  path: string;
  /** Offsets of the key's first occurrence and of this later one (their opening quotes). */
  firstOffset: number;
  offset: number;
}

/** 1-based line and column of `offset` in `text`, as an editor shows them. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Thrown by JsonScanner at the first offset where the text stops being JSON. */
export class JsonSyntaxAt extends Error {
  override readonly name = 'JsonSyntaxAt';
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/**
 * RFC 8259, checked only: values are not built (JSON.parse already did or could not), keys
 * only so that one given twice in an object is noticed.
 */
export class JsonScanner {
  /** Keys given twice in one object, in the order of the text; complete once document() returns. */
  readonly duplicateKeys: DuplicateKey[] = [];
  private i = 0;
  /** Keys and indexes from the document down to the value being read. */
  private readonly path: (string | number)[] = [];
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
    const seen = new Map<string, number>();
    for (;;) {
      this.space();
      if (this.s[this.i] !== '"') this.fail();
      const start = this.i;
      this.string();
      // Decoded, so that "a" and "\u0061" are one key, as they are to JSON.parse.
      const key = String(JSON.parse(this.s.slice(start, this.i)));
      const first = seen.get(key);
      if (first === undefined) seen.set(key, start);
      else this.duplicateKeys.push({ path: pathText([...this.path, key]), firstOffset: first, offset: start });
      this.space();
      if (!this.eat(':')) this.fail();
      this.path.push(key);
      this.value();
      this.path.pop();
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
    for (let index = 0; ; index++) {
      this.path.push(index);
      this.value();
      this.path.pop();
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

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pathText(path: readonly (string | number)[]): string {
  return path
    .map((step, n) => {
      if (typeof step === 'number') return `[${step}]`;
      if (IDENTIFIER.test(step)) return n === 0 ? step : `.${step}`;
      return `[${JSON.stringify(shownKey(step))}]`;
    })
    .join('');
}
