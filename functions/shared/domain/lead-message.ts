import { MalformedMessageError } from './errors';
import { isLeadId } from './ids';
import { type Lead, type LeadExtraField } from './lead';
import { isRecord } from './is-record';

/** The message attribute carrying when the poller first saw the lead (the payload `timestamp`). */
export const SEEN_AT_ATTRIBUTE = 'seen_at';
/** Set on a message the forwarder parked in the DLQ: why, and which endpoints still lack it. */
export const PARKED_REASON_ATTRIBUTE = 'parked_reason';
export const PARKED_ENDPOINTS_ATTRIBUTE = 'parked_endpoints';

const TEXT_KEYS = [
  'seller_user_id',
  'seller_nick',
  'store_name',
  'page_id',
  'page_name',
  'name',
  'mobile',
  'location',
  'location_code',
  'lead_time',
  'gmt_create',
  'gmt_modified',
  'mm_src_cname',
] as const;

/**
 * SQS accepts only #x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD and #x10000–#x10FFFF in a body, and
 * JSON.stringify leaves U+FFFE/U+FFFF as they are; some local SQS servers refuse every character
 * beyond the BMP. Both are written as JSON \u escapes, so one visitor's emoji or stray
 * noncharacter can never make a page unqueueable (and stall every later lead): the body parses
 * back to exactly the same lead.
 */
export function encodeLeadBody(lead: Lead): string {
  return JSON.stringify(lead).replace(/[\uFFFE\uFFFF]|[\u{10000}-\u{10FFFF}]/gu, (char) =>
    Array.from({ length: char.length }, (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

/** A lead message as the forwarder receives it, whatever the transport (Lambda event, SQS receive). */
export interface LeadMessage {
  body: string;
  /** String message attributes. */
  attributes: Record<string, string>;
  /** SQS `SentTimestamp` (epoch ms as text), the fallback for a message without `seen_at`. */
  sentTimestamp?: string;
}

export interface ParsedLeadMessage {
  lead: Lead;
  seenAt: string;
  /** Present when the message was parked by the forwarder and replayed. */
  parkedReason?: string;
}

/**
 * Validates a queue message as a lead this version understands: a body that is not JSON, has
 * no valid id, or carries fields of the wrong type is a MalformedMessageError (the caller parks
 * it with that reason), never a crash and never a guess.
 */
export function parseLeadMessage(message: LeadMessage): ParsedLeadMessage {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch (error) {
    throw new MalformedMessageError('message body is not JSON', { cause: error });
  }
  if (!isRecord(body)) throw new MalformedMessageError('message body is not a JSON object');
  if (!isLeadId(body.id)) throw new MalformedMessageError('message body has no valid lead id (a decimal string)');
  for (const key of TEXT_KEYS) {
    if (body[key] !== undefined && typeof body[key] !== 'string')
      throw new MalformedMessageError(`lead ${body.id}: ${key} is not a string`);
  }
  if (body.mobile_encrypted !== undefined && typeof body.mobile_encrypted !== 'boolean')
    throw new MalformedMessageError(`lead ${body.id}: mobile_encrypted is not a boolean`);
  if (body.extend_list !== undefined && !(Array.isArray(body.extend_list) && body.extend_list.every(isExtraField))) {
    throw new MalformedMessageError(`lead ${body.id}: extend_list is not a list of {code, label, value} strings`);
  }
  // Only the fields a Lead has travel on: a hand-made message cannot add fields to a payload.
  const lead: Lead = { id: body.id };
  for (const key of TEXT_KEYS) if (typeof body[key] === 'string') lead[key] = body[key];
  if (typeof body.mobile_encrypted === 'boolean') lead.mobile_encrypted = body.mobile_encrypted;
  if (Array.isArray(body.extend_list)) lead.extend_list = body.extend_list.filter(isRecord).map(extraField);
  const seenAt = message.attributes[SEEN_AT_ATTRIBUTE] ?? fromEpoch(message.sentTimestamp) ?? new Date().toISOString();
  const parkedReason = message.attributes[PARKED_REASON_ATTRIBUTE];
  return parkedReason === undefined ? { lead, seenAt } : { lead, seenAt, parkedReason };
}

function extraField(item: Record<string, unknown>): LeadExtraField {
  const field: LeadExtraField = {};
  for (const key of ['code', 'label', 'value'] as const) if (typeof item[key] === 'string') field[key] = item[key];
  return field;
}

function isExtraField(value: unknown): boolean {
  return isRecord(value) && ['code', 'label', 'value'].every((key) => value[key] === undefined || typeof value[key] === 'string');
}

function fromEpoch(text: string | undefined): string | undefined {
  const ms = Number(text);
  return text !== undefined && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}
