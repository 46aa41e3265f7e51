import { requiredText, url, type Problems } from '../../../config/readers';
import { USER_AGENT } from '../../formats/headers';
import { jsonObject } from '../json-answer';
import { sentValues } from '../sent-values';
import type { ConnectorDefinition, ConnectorInstance, ConnectorRecord, ConnectorVerdict, VendorAnswer } from '../types';
import { readUpsertAnswer } from './answer';
import { defaultHubSpotProperties, toHubSpotProperties } from './mapping';

/**
 * `hubspot`: a contact upserted by a unique property that holds the lead id, so a re-send
 * updates the contact instead of making a second one (DESIGN §7).
 * - Token: a private-app access token, static (no token endpoint), sent as `Authorization:
 *   Bearer`: https://developers.hubspot.com/docs/api/private-apps. `check --online` proves it with
 *   `GET /crm/v3/objects/{objectType}?limit=1`, a cheap authenticated read (the contacts read
 *   scope, which the README asks for beside write): https://developers.hubspot.com/docs/api/crm/contacts.
 * - Record: `POST {baseUrl}/crm/v3/objects/{objectType}/batch/upsert` with `{"inputs": [{"id": <lead id>,
 *   "idProperty": <idProperty>, "properties": {…}}]}`, one input per lead:
 *   https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
 * - The answers and error codes: answer.ts.
 */

const DEFAULT_BASE_URL = 'https://api.hubapi.com';
export const DEFAULT_ID_PROPERTY = 'alimama_lead_id';
const DEFAULT_OBJECT_TYPE = 'contacts';

interface HubSpotSettings {
  baseUrl: string;
  token: string;
  idProperty: string;
  objectType: string;
}

export const hubspot: ConnectorDefinition = {
  keys: ['baseUrl', 'token', 'idProperty', 'objectType'],
  secretKeys: ['token'],
  parse(value, where, problems) {
    const before = problems.list.length;
    const settings = {
      baseUrl: url(value.baseUrl ?? DEFAULT_BASE_URL, `${where}.baseUrl`, problems),
      token: requiredText(value.token, `${where}.token`, problems),
      // HubSpot internal names: lower-case letters, digits and underscores.
      idProperty: name(value.idProperty ?? DEFAULT_ID_PROPERTY, `${where}.idProperty`, PROPERTY_NAME, problems),
      objectType: name(value.objectType ?? DEFAULT_OBJECT_TYPE, `${where}.objectType`, OBJECT_TYPE, problems),
    };
    if (problems.list.length > before) return undefined;
    return instance(settings as HubSpotSettings);
  },
};

function instance(settings: HubSpotSettings): ConnectorInstance {
  const objects = `${settings.baseUrl.replace(/\/+$/, '')}/crm/v3/objects/${settings.objectType}`;
  const headers = (token: string): Record<string, string> => ({
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    authorization: `Bearer ${token}`,
  });
  return {
    target: `${objects} by ${settings.idProperty}`,
    token: {
      kind: 'static',
      token: { value: settings.token },
      probe: () => ({ url: `${objects}?limit=1`, method: 'GET', headers: headers(settings.token), body: '' }),
      readProbe,
    },
    defaultFields: defaultHubSpotProperties,
    renderRecord: (record, token) => ({
      url: `${objects}/batch/upsert`,
      headers: headers(token.value),
      body: JSON.stringify({
        inputs: [{ id: record.leadId, idProperty: settings.idProperty, properties: propertiesOf(record, settings.idProperty) }],
      }),
    }),
    // The values sent are cut out of whatever free text of HubSpot's the reason keeps (answer.ts).
    readAnswer: (answer, record) =>
      readAnswer(answer, record === undefined ? [] : sentValues(propertiesOf(record, settings.idProperty))),
  };
}

/** The properties a record sends: the id names the record, so a `fields` value for the id property is dropped. */
function propertiesOf(record: ConnectorRecord, idProperty: string): Record<string, string> {
  const properties = toHubSpotProperties(record.fields) ?? {};
  delete properties[idProperty];
  return properties;
}

function readAnswer(answer: VendorAnswer, sentValues: readonly string[]): ConnectorVerdict {
  const seconds = answer.retryAfter === undefined ? undefined : Number(answer.retryAfter);
  const verdict = readUpsertAnswer(answer.status, answer.body, {
    sentValues,
    ...(seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? { retryAfterSeconds: seconds } : {}),
  });
  if (verdict.outcome !== 'delivered') return verdict;
  return { outcome: 'delivered', recordId: verdict.recordId };
}

function readProbe(answer: VendorAnswer): string | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  const json = jsonObject(answer.body);
  const category = typeof json?.category === 'string' ? json.category : `HTTP ${answer.status}`;
  const message = typeof json?.message === 'string' ? json.message.slice(0, 300) : '';
  return `HubSpot refused the private-app token: ${category}${message === '' ? '' : ` (${message})`}`;
}

const PROPERTY_NAME = {
  pattern: /^[a-z][a-z0-9_]{0,99}$/,
  wanted: "a property's internal name (lower-case letters, digits and underscores, e.g. alimama_lead_id)",
};
// `contacts`, a type id such as `0-1` or `2-1234567`, or a custom object's `p_<name>`.
const OBJECT_TYPE = {
  pattern: /^([a-z][a-z0-9_]{0,99}|\d+-\d+)$/,
  wanted: 'an object type (a name such as contacts, lower-case letters, digits and underscores, or a type id such as 0-1)',
};

function name(value: unknown, where: string, kind: { pattern: RegExp; wanted: string }, problems: Problems): string | undefined {
  const text = requiredText(value, where, problems);
  if (text !== undefined && !kind.pattern.test(text)) {
    // Not echoed, like every connector setting: the value may be a secret pasted in the wrong place.
    problems.add(`${where} must be ${kind.wanted}`);
    return undefined;
  }
  return text;
}
