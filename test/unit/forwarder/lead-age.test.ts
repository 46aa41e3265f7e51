import { leadAgeQuantiles, leadAgeSeconds } from '../../../functions/forwarder/lead-age';

describe('lead age at delivery', () => {
  it('is the acceptance time minus gmt_create, in seconds; none without a usable gmt_create; never negative', () => {
    const created = '2026-12-02T08:00:00.000Z';
    expect(leadAgeSeconds(created, Date.parse(created) + 4_250)).toBe(4.25);
    expect(leadAgeSeconds(created, Date.parse(created) - 3_000)).toBe(0);
    expect(leadAgeSeconds(undefined, Date.now())).toBeUndefined();
    expect(leadAgeSeconds('not a time', Date.now())).toBeUndefined();
  });

  it("is summed up by status and the runner's status line as p50 and p95, nearest rank", () => {
    expect(leadAgeQuantiles([])).toBeUndefined();
    expect(leadAgeQuantiles(undefined)).toBeUndefined();
    expect(leadAgeQuantiles([4])).toEqual({ p50: 4, p95: 4 });
    const ages = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1
    expect(leadAgeQuantiles(ages)).toEqual({ p50: 10, p95: 19 });
  });
});
