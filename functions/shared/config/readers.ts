import { ConfigError } from '../domain/errors';

/**
 * The readers every settings parser shares (the settings of DESIGN §4 and each connector's, §7):
 * each adds a problem that names the setting and the kind of value wanted, never the value
 * itself unless it is harmless (settings hold secrets), and returns undefined so that parsing
 * goes on and every problem reaches the operator in one round.
 */

/** Where problems are collected: thrown together as one ConfigError. */
export class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}

/** A value for a problem message. JSON.stringify shows 1e400 (Infinity once parsed) as null. */
export function shown(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? 'a number too large to read' : JSON.stringify(value);
}

export function unknownKeys(value: Record<string, unknown>, known: readonly string[], prefix: string, problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      problems.add(`unknown setting "${prefix}${key}" (known: ${known.map((k) => prefix + k).join(', ')})`);
  }
}

/** Names the value's type, never the value: these settings include secrets. */
export function requiredText(value: unknown, name: string, problems: Problems): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (value === undefined || value === null || typeof value === 'string')
    problems.add(`${name} is required (a non-empty string)`);
  else problems.add(`${name} must be text in double quotes, not a ${Array.isArray(value) ? 'list' : typeof value}`);
  return undefined;
}

export function integer(value: unknown, name: string, min: number, max: number, problems: Problems): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= min && number <= max) return number;
  problems.add(`${name} must be a whole number from ${min} to ${max}, not ${shown(value)}`);
  return undefined;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, problems: Problems): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.add(`${name} must be one of ${allowed.join(', ')}, not ${shown(value)}`);
  return undefined;
}

/** https anywhere; plain http only to this machine (local receivers, the simulated gateway). */
export function url(value: unknown, name: string, problems: Problems): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.add(`${name} is required (an https URL)`);
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    problems.add(`${name} is not a URL`); // not echoed: webhook URLs often carry a key
    return undefined;
  }
  // Only this machine: a name like 127.0.0.1.example.com resolves wherever its owner likes.
  const loopback = parsed.hostname === 'localhost' || parsed.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(parsed.hostname);
  if (parsed.username !== '' || parsed.password !== '') {
    // Not echoed. undici sends neither: the receiver would answer 401 to every delivery.
    problems.add(
      `${name} carries a user name or password, which are not sent: put them in headers instead, e.g. {"Authorization": "Basic …"}`,
    );
    return undefined;
  }
  if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)) return value;
  problems.add(
    `${name} must use https (plain http is allowed only to localhost), not ${JSON.stringify(`${parsed.protocol}//${parsed.host}`)}`,
  );
  return undefined;
}
