/**
 * What a connector sent, so that it can be cut out of a vendor's answer before the answer reaches
 * a reason (logs, the DLQ). Vendors quote refused values in their messages (HubSpot's "<value> was
 * not one of the allowed options", Salesforce's "data value too large: <value>"), and a value may
 * be the lead's name or mobile (DESIGN §5).
 */

/** Shorter pieces are left alone: cutting every "a" or "1" would leave nothing to read. */
const MIN_LENGTH = 2;
/** Nested values deeper than this are not looked for (a record's fields are shallow). */
const MAX_DEPTH = 4;

/**
 * Every text value among `sources` (nested objects and lists too; numbers as their text), as it
 * may appear in an answer: as sent, each line of it alone, and JSON-escaped once and twice (a
 * message quoting it inside a JSON string inside a JSON body, as HubSpot's do).
 */
export function sentValues(...sources: unknown[]): string[] {
  const texts: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === 'string') texts.push(value);
    else if (typeof value === 'number' && Number.isFinite(value)) texts.push(String(value));
    else if (typeof value === 'object' && value !== null && depth < MAX_DEPTH)
      for (const inner of Object.values(value)) visit(inner, depth + 1);
  };
  for (const source of sources) visit(source, 0);
  const forms = texts.flatMap((text) => {
    const lines = text.split(/\r?\n/);
    return [text, ...lines].flatMap((piece) => {
      const once = JSON.stringify(piece).slice(1, -1);
      return [piece, once, JSON.stringify(once).slice(1, -1)];
    });
  });
  return [...new Set(forms.map((form) => form.trim()))].filter((form) => form.length >= MIN_LENGTH);
}

/** `text` with every occurrence of `values` replaced by `…`, the longest first (so a part never hides its whole). */
export function withoutValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    if (value.length >= MIN_LENGTH) out = out.split(value).join('…');
  }
  return out;
}
