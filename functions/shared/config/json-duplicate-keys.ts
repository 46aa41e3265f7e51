/** Finding keys given twice in one JSON object, which JSON.parse resolves quietly to the last. */

import { JsonScanner, lineAndColumn } from './json-scanner';

/**
 * One phrase per key given twice in one object of `text`, a text JSON.parse accepted. Each names
 * the key's path and both places, never a value: values may be secrets.
 */
export function duplicateKeyProblems(text: string): string[] {
  const scanner = new JsonScanner(text);
  try {
    scanner.document();
  } catch (error) {
    // Nesting deeper than the scanner's stack. No setting nests more than four levels, so the
    // settings' own validation refuses such a text, by name; a bare RangeError would not.
    if (error instanceof RangeError) return [];
    throw error;
  }
  return scanner.duplicateKeys.map(({ path, firstOffset, offset }) => {
    const first = lineAndColumn(text, firstOffset);
    const again = lineAndColumn(text, offset);
    return `${path} is given twice, at line ${first.line}, column ${first.column} and line ${again.line}, column ${again.column}: only the last would count, so keep the one you mean`;
  });
}
