import { isLeadId, type LeadId } from './ids';
import { isRecord } from './is-record';

/** One extra form field the visitor filled in (`extend_list`). */
export interface LeadExtraField {
  code?: string;
  label?: string;
  value?: string;
}

/**
 * A lead as this project carries it (DESIGN §3): the API's own field names, every id a decimal
 * string, every time ISO-8601, lists unwrapped, absent fields omitted and never invented.
 */
export interface Lead {
  id: LeadId;
  seller_user_id?: string;
  seller_nick?: string;
  store_name?: string;
  page_id?: string;
  page_name?: string;
  name?: string;
  mobile?: string;
  mobile_encrypted?: boolean;
  location?: string;
  location_code?: string;
  lead_time?: string;
  gmt_create?: string;
  gmt_modified?: string;
  mm_src_cname?: string;
  extend_list?: LeadExtraField[];
}

export type NormalizeResult = { ok: true; lead: Lead; warnings: string[] } | { ok: false; problem: string };

const TEXT_FIELDS = ['seller_nick', 'store_name', 'page_name', 'name', 'location', 'mm_src_cname'] as const;
const ID_FIELDS = ['seller_user_id', 'page_id', 'location_code'] as const;
const UTC_TIME_FIELDS = ['gmt_create', 'gmt_modified'] as const;

const GMT8_MS = 8 * 3600_000;
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * Maps one record of `taobao.mama.crm.lead.list` to a Lead. A record without a usable id is
 * rejected (the caller reports it and goes on with the page); any other odd field is left out
 * with a warning, so a lead is never held back by a cosmetic problem.
 */
export function normalizeLead(record: unknown): NormalizeResult {
  if (!isRecord(record))
    return { ok: false, problem: `lead record is not an object (${record === null ? 'null' : typeof record})` };
  const id = idString(record.id);
  if (id === undefined) return { ok: false, problem: `lead record has no usable id (${JSON.stringify(record.id) ?? 'absent'})` };

  const warnings: string[] = [];
  const lead: Lead = { id };
  for (const key of ID_FIELDS) {
    const value = idString(record[key]) ?? textString(record[key]);
    if (value !== undefined) lead[key] = value;
  }
  for (const key of TEXT_FIELDS) {
    const value = textString(record[key]);
    if (value !== undefined) lead[key] = value;
  }
  const mobile = textString(record.mobile);
  if (mobile !== undefined && mobile !== '') {
    lead.mobile = mobile;
    lead.mobile_encrypted = true;
  }
  const leadTime = record.lead_time;
  if (leadTime !== undefined && leadTime !== null && leadTime !== '') {
    const value = toGmt8Iso(leadTime);
    if (value === undefined) warnings.push('lead_time is not a time; left out');
    else lead.lead_time = value;
  }
  for (const key of UTC_TIME_FIELDS) {
    const raw = record[key];
    if (raw === undefined || raw === null || raw === '') continue;
    const value = toUtcIso(raw);
    if (value === undefined) warnings.push(`${key} is not a time; left out`);
    else lead[key] = value;
  }
  const extras = unwrapList(record.extend_list, 'lead_extend_d_t_o');
  if (extras !== undefined) {
    lead.extend_list = extras.filter(isRecord).map((item) => {
      const field: LeadExtraField = {};
      for (const key of ['code', 'label', 'value'] as const) {
        const value = textString(item[key]);
        if (value !== undefined) field[key] = value;
      }
      return field;
    });
  }
  return { ok: true, lead, warnings };
}

/**
 * TOP lists come bare (`[...]`) or wrapped in an object holding one array
 * (`{"result": [...]}`, `{"lead_extend_d_t_o": [...]}`); returns the array either way.
 */
export function unwrapList(value: unknown, preferredKey?: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value as unknown[];
  if (!isRecord(value)) return undefined;
  if (preferredKey !== undefined && Array.isArray(value[preferredKey])) return value[preferredKey] as unknown[];
  const arrays = Object.values(value).filter(Array.isArray);
  if (arrays.length === 1) return arrays[0];
  // A wrapper around a single object (XML-to-JSON of a one-element list) is a one-element list.
  const objects = Object.values(value).filter(isRecord);
  return objects.length === 1 && Object.keys(value).length === 1 ? objects : undefined;
}

function idString(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'bigint' && value >= 0n) return value.toString();
  if (typeof value === 'string' && isLeadId(value.trim())) return value.trim();
  return undefined;
}

function textString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Epoch milliseconds (number or digits) or GMT+8 wall time → epoch milliseconds. */
function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{10,16}$/.test(text)) return Number(text);
  const m = WALL_TIME.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0'));
  const ms = Date.UTC(y, mo - 1, d, h, mi, s, millis) - GMT8_MS;
  // Date.UTC rolls 2023-02-30 over into March: reject instead of inventing a date.
  return Number.isFinite(ms) && new Date(ms + GMT8_MS).getUTCDate() === d ? ms : undefined;
}

function toUtcIso(value: unknown): string | undefined {
  const ms = toEpochMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** `lead_time` keeps the zone it was given in: `2022-05-03T17:44:28+08:00`. */
function toGmt8Iso(value: unknown): string | undefined {
  const ms = toEpochMs(value);
  if (ms === undefined) return undefined;
  const wall = new Date(ms + GMT8_MS).toISOString(); // GMT+8 wall time, labelled Z
  const millis = wall.slice(20, 23);
  return `${wall.slice(0, 19)}${millis === '000' ? '' : `.${millis}`}+08:00`;
}
