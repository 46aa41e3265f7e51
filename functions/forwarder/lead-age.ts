/**
 * Lead age at delivery (DESIGN §8): the moment the endpoint accepted the lead (its 2xx arrived)
 * minus `gmt_create` (normalized to UTC from the API's GMT+8 wall time), in seconds. Undefined
 * without a usable gmt_create; a lead stamped in the future (clock skew) counts as age 0.
 */
export function leadAgeSeconds(gmtCreate: string | undefined, acceptedAtMs: number): number | undefined {
  const created = gmtCreate === undefined ? Number.NaN : Date.parse(gmtCreate);
  if (!Number.isFinite(created)) return undefined;
  return Math.max(0, acceptedAtMs - created) / 1000;
}

/** The median and 95th percentile (nearest rank) of some lead ages; undefined without any. */
export function leadAgeQuantiles(ages: readonly number[] | undefined): { p50: number; p95: number } | undefined {
  if (ages === undefined || ages.length === 0) return undefined;
  const sorted = [...ages].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95) };
}
