import type { StandardPayload } from '../../standard-payload';

/**
 * The default contact properties for a lead: only HubSpot's default contact properties (present
 * on a fresh portal) besides the unique id property the user creates, each given a value of its
 * type. HubSpot takes every property value as a string (numbers and booleans as their text):
 * https://developers.hubspot.com/docs/api/crm/properties ("Property type and fieldType values").
 *
 * - `firstname` (single-line text): the lead's name as given. A Chinese name is not split into
 *   first and last names (the lead has one `name`, often masked like `**三`); HubSpot shows
 *   `firstname lastname`, so the whole name in `firstname` reads right.
 * - `mobilephone` (phone number): the decrypted mobile, left out while it is still a ciphertext.
 * - `address` (single-line text): the location (`xx省xx市xx县`).
 * - `message` (multi-line text): where the lead came from, for the salesperson.
 * Lifecycle stage and lead status are left to HubSpot and the sales team: a re-send is an
 * update, and it must not move a contact they have already worked back to "new".
 */

/** HubSpot's limit for a text property value. */
export const MAX_TEXT_LENGTH = 65_536;

export function defaultHubSpotProperties(payload: StandardPayload): Record<string, string> {
  const lead = payload.data;
  const properties: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') properties[name] = value.slice(0, MAX_TEXT_LENGTH);
  };
  set('firstname', lead.name);
  if (lead.mobile_encrypted !== true) set('mobilephone', lead.mobile);
  set('address', lead.location);
  set('message', describe(payload));
  return properties;
}

/** A few readable lines: source, landing page, store, when, and what else the visitor filled in. */
function describe(payload: StandardPayload): string {
  const lead = payload.data;
  const lines = [
    `${payload.test === true ? '[test] ' : ''}Alimama lead ${lead.id}${lead.mm_src_cname === undefined ? '' : ` · ${lead.mm_src_cname}`}`,
  ];
  if (lead.page_name !== undefined || lead.page_id !== undefined) {
    lines.push(
      `Page: ${[lead.page_name, lead.page_id === undefined ? undefined : `(${lead.page_id})`].filter(Boolean).join(' ')}`,
    );
  }
  if (lead.store_name !== undefined) lines.push(`Store: ${lead.store_name}`);
  if (lead.lead_time !== undefined) lines.push(`Submitted: ${lead.lead_time}`);
  for (const extra of lead.extend_list ?? []) {
    if (extra.value !== undefined && extra.value !== '') lines.push(`${extra.label ?? extra.code ?? '?'}: ${extra.value}`);
  }
  return lines.join('\n');
}

/**
 * A `fields` expression's result as HubSpot property values: strings as they are, numbers and
 * booleans as their text, objects and lists as JSON text, null and missing values left out (an
 * empty string would clear the property). Undefined when the result is not an object.
 */
export function toHubSpotProperties(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const properties: Record<string, string> = {};
  for (const [name, field] of Object.entries(value)) {
    if (field === null || field === undefined) continue;
    const text = typeof field === 'string' ? field : typeof field === 'object' ? JSON.stringify(field) : String(field);
    properties[name] = text.slice(0, MAX_TEXT_LENGTH);
  }
  return properties;
}
