/** A plain JSON object (not null, not an array): the first check on any value read from the network, a queue or a file. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
