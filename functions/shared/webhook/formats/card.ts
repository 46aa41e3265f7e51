import type { Delivery } from '../delivery';

/**
 * The lead as a sales team reads it in a chat group: Chinese labels, the fields they call on
 * first, nothing technical but the lead id. Shared by the wecom, dingtalk and feishu presets so
 * the three cards say the same thing.
 */

export interface CardField {
  /** One line, bounded, markup already neutralized: a form's own labels come from the page builder. */
  label: string;
  /** Plain text: one line, bounded; each format escapes it for its own markup. */
  value: string;
}

export interface LeadCard {
  /** Contains 线索 so a robot secured by the custom keyword "线索" accepts every card. */
  title: string;
  test: boolean;
  fields: CardField[];
}

/** Long enough for any real name, page or address; keeps one odd field from flooding the card. */
export const MAX_VALUE_CHARS = 200;
/** Extra form fields beyond this are summarized; a card still cut to its preset's size loses its end. */
export const MAX_EXTRA_FIELDS = 20;
/** A form field's label is a question at most; a longer one is cut. */
export const MAX_LABEL_CHARS = 40;

const WALL_TIME_GMT8 = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?\+08:00$/;

/** Builds the card; fields the lead does not have are left out, never shown empty. */
export function leadCard(delivery: Delivery): LeadCard {
  const { lead } = delivery;
  const fields: CardField[] = [];
  const add = (label: string, value: string | undefined): void => {
    if (value !== undefined && value.trim() !== '')
      fields.push({ label: escapeMarkdown(oneLine(label, MAX_LABEL_CHARS)), value: oneLine(value) });
  };
  // First, so that a card cut to its preset's size limit still names the lead.
  add('线索ID', lead.id);
  add('姓名', lead.name);
  // A ciphertext is useless to a person: say that it is encrypted instead of printing it.
  add('手机', lead.mobile === undefined ? undefined : lead.mobile_encrypted === true ? '（已加密，未能解密）' : lead.mobile);
  add('落地页', lead.page_name ?? lead.page_id);
  add('来源', lead.mm_src_cname);
  add('所在地', lead.location);
  add('留资时间', lead.lead_time === undefined ? undefined : displayTime(lead.lead_time));
  add('店铺', lead.store_name ?? lead.seller_nick);
  const extras = lead.extend_list ?? [];
  for (const extra of extras.slice(0, MAX_EXTRA_FIELDS)) add(extra.label ?? extra.code ?? '附加信息', extra.value);
  if (extras.length > MAX_EXTRA_FIELDS) add('附加信息', `另有 ${extras.length - MAX_EXTRA_FIELDS} 项未显示`);
  const test = delivery.test === true;
  return { title: test ? '【测试】新线索' : '新线索', test, fields };
}

/**
 * Neutralizes the characters that would turn a visitor's input into markup: links, HTML such as
 * `<font>`, WeCom `<@userid>` mentions, emphasis. Full-width look-alikes keep the text readable
 * (masked names like `**三` stay recognizable) without relying on each renderer's escaping rules.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[*`<>[\]~]/g, (c) => FULL_WIDTH[c] ?? c);
}

const FULL_WIDTH: Record<string, string> = { '*': '＊', '`': '｀', '<': '＜', '>': '＞', '[': '［', ']': '］', '~': '～' };

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character, marking the cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const mark = '…';
  let bytes = Buffer.byteLength(mark, 'utf8');
  let out = '';
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    out += char;
  }
  return out + mark;
}

/** Whitespace and control characters folded into single spaces, at most `maxChars` characters. */
function oneLine(value: string, maxChars = MAX_VALUE_CHARS): string {
  const flat = value.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= maxChars ? flat : `${chars.slice(0, maxChars - 1).join('')}…`;
}

/** `2022-05-03T17:44:28+08:00` → `2022-05-03 17:44:28` (the merchant's wall time); other forms as given. */
function displayTime(iso: string): string {
  const m = WALL_TIME_GMT8.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]}`;
}
