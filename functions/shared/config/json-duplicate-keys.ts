/** Finding keys given twice in one JSON object, which JSON.parse resolves quietly to the last. */

import type { JSONPath } from 'jsonc-parser';
import { lineAndColumn, visitStrictJson } from './json-visit';
import { shownKey } from './shown-key';

/**
 * One phrase per key given twice in one object of `text`, a text JSON.parse accepted, in the
 * order of the text. Each names the key's path and both places, never a value: values may be
 * secrets. Keys are compared decoded, so that "a" and "\u0061" are one key, as they are to JSON.parse.
 */
export function duplicateKeyProblems(text: string): string[] {
  const problems: string[] = [];
  /** For each object from the document down to the one being read, its keys and where each was first given. */
  const objects: Map<string, number>[] = [];
  try {
    visitStrictJson(text, {
      onObjectBegin: () => {
        objects.push(new Map());
      },
      onObjectEnd: () => {
        objects.pop();
      },
      onObjectProperty: (key, offset, _length, _line, _column, pathSupplier) => {
        const seen = objects.at(-1);
        const firstOffset = seen?.get(key);
        if (firstOffset === undefined) seen?.set(key, offset);
        else problems.push(twice(text, pathText([...pathSupplier(), key]), firstOffset, offset));
      },
    });
  } catch (error) {
    // Nesting deeper than the parser's stack. No setting nests more than four levels, so the
    // settings' own validation refuses such a text, by name; a bare RangeError would not.
    if (error instanceof RangeError) return [];
    throw error;
  }
  return problems;
}

/** `offset` and `firstOffset` are the opening quotes of the key's two occurrences. */
function twice(text: string, path: string, firstOffset: number, offset: number): string {
  const first = lineAndColumn(text, firstOffset);
  const again = lineAndColumn(text, offset);
  return `${path} is given twice, at line ${first.line}, column ${first.column} and line ${again.line}, column ${again.column}: only the last would count, so keep the one you mean`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Where a key sits, as a config's problems name settings: `startFrom`, `webhooks[0].url`, `[0].headers["X-Shop"]`. */
function pathText(path: JSONPath): string {
  return path
    .map((step, n) => {
      if (typeof step === 'number') return `[${step}]`;
      if (IDENTIFIER.test(step)) return n === 0 ? step : `.${step}`;
      return `[${JSON.stringify(shownKey(step))}]`;
    })
    .join('');
}
