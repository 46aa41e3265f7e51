/**
 * TOP's `timestamp` parameter: `yyyy-MM-dd HH:mm:ss` wall time in GMT+8 (China has no DST),
 * whatever the host's zone. Lambda runs in UTC, so local-time formatting would be 8 hours off
 * and the gateway would refuse every call (code 31).
 */

const GMT8_OFFSET_MS = 8 * 3600_000;
const TOP_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Formats an instant (epoch ms) as GMT+8 wall time. Uses only UTC getters, so the host TZ never matters. */
export function formatTopTimestamp(epochMs: number): string {
  // Shift the instant by +8 h and read it back as UTC: that is the GMT+8 wall clock.
  const iso = new Date(epochMs + GMT8_OFFSET_MS).toISOString(); // 2016-01-01T12:00:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/**
 * Parses a GMT+8 `yyyy-MM-dd HH:mm:ss` back to epoch ms; undefined for anything else,
 * including impossible dates such as 2023-02-30 (never rolled over into March).
 */
export function parseTopTimestamp(text: string): number | undefined {
  const match = TOP_TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (year < 1970 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(wall).getUTCDate() !== day) return undefined;
  return wall - GMT8_OFFSET_MS;
}
