import type { Lead } from '../../domain/lead';

/**
 * The columns the default mapping writes, by column name (the README's Feishu Bitable section
 * tells the user to create them, with these types). Bitable takes a record's fields by column
 * name; a name the table lacks is refused whole (1254045), so the mapping writes only these.
 */
export const BITABLE_DEFAULT_COLUMNS = {
  /** Text, the table's primary column: the lead id, every digit (ids pass 2^53). */
  leadId: '线索ID',
  name: '姓名',
  /** Phone number: only a decrypted mobile; a ciphertext is no phone number (1254072). */
  mobile: '手机号',
  /** Date: epoch milliseconds, the only form a date column takes (新增记录: "Date: a timestamp in milliseconds"). */
  leadTime: '留资时间',
  store: '店铺',
  page: '落地页',
  location: '地区',
  source: '来源',
  /** Text: the extra form fields, one `label: value` per line. */
  extra: '附加信息',
} as const;

/**
 * The default record for a lead. Absent lead fields leave their column out (an empty cell), so a
 * fresh table with just these columns takes every lead; the mobile is left out while it is still
 * encrypted (`mobile_encrypted: true`: no private key configured, or decryption failed).
 */
export function defaultBitableFields(lead: Lead): Record<string, string | number> {
  const columns = BITABLE_DEFAULT_COLUMNS;
  const fields: Record<string, string | number> = { [columns.leadId]: lead.id };
  const put = (column: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') fields[column] = value;
  };
  put(columns.name, lead.name);
  if (lead.mobile_encrypted !== true) put(columns.mobile, lead.mobile);
  put(columns.leadTime, epochMillis(lead.lead_time ?? lead.gmt_create));
  put(columns.store, lead.store_name ?? lead.seller_nick);
  put(columns.page, lead.page_name);
  put(columns.location, lead.location);
  put(columns.source, lead.mm_src_cname);
  const extra = (lead.extend_list ?? [])
    .filter((item) => item.value !== undefined && item.value !== '')
    .map((item) => `${item.label ?? item.code ?? ''}: ${item.value}`);
  put(columns.extra, extra.length > 0 ? extra.join('\n') : undefined);
  return fields;
}

function epochMillis(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}
