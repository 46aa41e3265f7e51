import type { Lead } from '../../../domain/lead';

/**
 * The default mapping of a lead onto a fresh Salesforce Lead (README "Connect your CRM"): only
 * standard fields, each within its type and length as the Salesforce Field Reference Guide
 * gives them for Lead
 * (https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-lead.html),
 * and both fields a Lead requires ("Object Reference: Lead": `LastName`, `Company`). The
 * external id travels in the upsert's URL, not here. An endpoint's `fields` expression
 * replaces all of this.
 */

/** Characters (not bytes: Salesforce counts characters) each mapped field holds. */
export const LEAD_FIELD_LENGTHS = {
  LastName: 80,
  Company: 255,
  MobilePhone: 40,
  LeadSource: 40,
  Description: 32_000,
} as const;

/**
 * Alimama leads are people filling in a landing-page form, with no company; Salesforce still
 * requires one. This is the placeholder its own Web-to-Lead convention uses.
 */
export const COMPANY_NOT_PROVIDED = '[not provided]';
/** A value of the standard Lead Source picklist in every new org. */
export const DEFAULT_LEAD_SOURCE = 'Web';

export type SalesforceFields = Record<string, string>;

export function defaultLeadFields(lead: Lead): SalesforceFields {
  const fields: SalesforceFields = {
    // The name as Alimama gives it (often masked, e.g. "**三"); Salesforce refuses a Lead without one.
    LastName: clip(nonBlank(lead.name) ?? `Alimama lead ${lead.id}`, LEAD_FIELD_LENGTHS.LastName),
    Company: COMPANY_NOT_PROVIDED,
    LeadSource: DEFAULT_LEAD_SOURCE,
    Description: clip(description(lead), LEAD_FIELD_LENGTHS.Description),
  };
  const mobile = phoneNumber(lead);
  if (mobile !== undefined) fields.MobilePhone = mobile;
  return fields;
}

/**
 * The mobile, only when it is a phone number: a ciphertext (no private key configured) is not
 * one, and a value longer than the field would be refused, or cut into a wrong number.
 */
function phoneNumber(lead: Lead): string | undefined {
  if (lead.mobile_encrypted === true) return undefined;
  const mobile = nonBlank(lead.mobile);
  if (mobile === undefined || [...mobile].length > LEAD_FIELD_LENGTHS.MobilePhone) return undefined;
  return mobile;
}

/** What else the lead says, one line each, so a sales rep sees it on the record. */
function description(lead: Lead): string {
  const lines = [`Alimama lead ${lead.id}`];
  const line = (label: string, value: string | undefined): void => {
    if (nonBlank(value) !== undefined) lines.push(`${label}: ${value}`);
  };
  line(
    'Page',
    lead.page_name === undefined ? lead.page_id : `${lead.page_name}${lead.page_id === undefined ? '' : ` (${lead.page_id})`}`,
  );
  line('Store', lead.store_name ?? lead.seller_nick);
  line('Location', lead.location);
  line('Submitted', lead.lead_time);
  line('Channel', lead.mm_src_cname);
  for (const extra of lead.extend_list ?? []) line(extra.label ?? extra.code ?? 'Field', extra.value);
  return lines.join('\n');
}

function nonBlank(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The first `max` characters (code points, so no character is cut in half). */
function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max).join('');
}
