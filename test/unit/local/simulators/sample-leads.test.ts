import { normalizeLead } from '../../../../functions/shared/domain/lead';
import { generateLeads } from '../../../../functions/local/simulators/alimama-gateway';

describe('generateLeads', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateLeads(5, { seed: 7 })).toEqual(generateLeads(5, { seed: 7 }));
    expect(generateLeads(5, { seed: 7 })).not.toEqual(generateLeads(5, { seed: 8 }));
  });

  it('produces realistic records that normalize cleanly', () => {
    const leads = generateLeads(50, { startId: '9007199254740990', maxIdGap: 3 });
    for (const lead of leads) {
      expect(lead.name).toMatch(/^\*{1,2}\p{Script=Han}$/u);
      expect(Buffer.from(lead.mobile ?? '', 'base64')).toHaveLength(128);
      expect(lead.lead_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(Number.isInteger(lead.gmt_create)).toBe(true);
      expect(lead.extend_list?.[0]).toMatchObject({ code: 'sex', label: '性别' });
      const normalized = normalizeLead(lead);
      expect(normalized).toMatchObject({ ok: true, warnings: [] });
    }
  });

  it('counts ids up from startId with BigInt, beyond 2^53', () => {
    const ids = generateLeads(4, { startId: '9007199254740992' }).map((lead) => lead.id);
    expect(ids).toEqual(['9007199254740992', '9007199254740993', '9007199254740994', '9007199254740995']);
    const gapped = generateLeads(20, { startId: '100', maxIdGap: 5 }).map((lead) => BigInt(lead.id));
    for (let i = 1; i < gapped.length; i += 1) expect(gapped[i]! - gapped[i - 1]!).toBeGreaterThanOrEqual(1n);
  });
});
