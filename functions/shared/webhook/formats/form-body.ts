/**
 * `application/x-www-form-urlencoded` (WHATWG URL standard, as URLSearchParams writes it: UTF-8
 * percent-encoding, `+` for a space) of an object's top-level keys, for `contentType: "form"`
 * (DESIGN §7): strings as they are, numbers and booleans as text, objects and arrays as JSON
 * text; null and missing values are left out. Ids are strings in a lead, so one beyond 2^53
 * travels with every digit.
 */

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded;charset=utf-8';

export function formEncode(fields: Readonly<Record<string, unknown>>): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    const text = formValue(value);
    if (text !== undefined) form.append(key, text);
  }
  return form.toString();
}

function formValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // What JSON cannot hold (a function a template returned) is left out like a missing value.
  return JSON.stringify(value);
}
