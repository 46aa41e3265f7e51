/**
 * A configuration key as problem messages show it. A key that is a plain name (letters, digits,
 * '_', '-', '.', '$') is shown whole. Any other is cut at its first other character: such a key
 * is usually a value written into the key's place ("Authorization: Bearer …" as a header name),
 * and the value may be a secret.
 */
const PLAIN = /^[A-Za-z0-9_$.-]{1,64}$/;

export function shownKey(key: string): string {
  if (PLAIN.test(key)) return key;
  const head = /^[A-Za-z0-9_$.-]{0,32}/.exec(key)?.[0] ?? '';
  return `${head}…`;
}
