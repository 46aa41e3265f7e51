import { isRecord } from '../../domain/is-record';

/** A vendor's answer body as a JSON object, or undefined (an HTML error page, a cut body, nothing). */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A vendor's message for a reason: one line, bounded, so that a long one cannot flood a log. */
export function vendorMessage(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') return '(no message)';
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length <= 160 ? flat : `${flat.slice(0, 160)}…`;
}
