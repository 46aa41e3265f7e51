import { requiredText, url, type Problems } from '../../../config/readers';
import { TokenRequestError } from '../../auth/oauth2-token';
import { USER_AGENT } from '../../formats/headers';
import { credentialKey } from '../credential-key';
import { jsonObject } from '../json-answer';
import type { AccessToken, ConnectorDefinition, ConnectorInstance, ConnectorVerdict, VendorAnswer } from '../types';
import { readUpsertAnswer } from './answer';
import { defaultLeadFields } from './mapping';

/**
 * `salesforce` (DESIGN §7): one Lead per lead, upserted by an external id field that holds the
 * lead id, so a re-send after an unrecorded 2xx updates the same Lead.
 * - Token: OAuth 2.0 client credentials flow for a connected app (External Client App),
 *   `POST {instanceUrl}/services/oauth2/token` with `grant_type=client_credentials&client_id&client_secret`
 *   (form) → `{"access_token","instance_url","token_type":"Bearer","issued_at",…}`, no `expires_in`:
 *   the token is kept until Salesforce answers 401 `INVALID_SESSION_ID`. Errors `{"error","error_description"}`.
 *   https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm
 * - Record: `PATCH {instance_url}/services/data/{apiVersion}/sobjects/Lead/{externalIdField}/{value}`
 *   with the fields as JSON (201 created, 200 updated from API 46.0): "Insert or Update (Upsert) a
 *   Record Using an External ID", https://developer.salesforce.com/docs/platform/api-rest/guide/dome-upsert.html
 * - The answers and error codes: answer.ts; the default mapping: mapping.ts.
 */

const DEFAULT_API_VERSION = 'v62.0';
/** The first version whose upsert answers carry the record id on an update too (answer.ts). */
const MIN_API_VERSION = 46;

interface SalesforceSettings {
  instanceUrl: string;
  clientId: string;
  clientSecret: string;
  externalIdField: string;
  apiVersion: string;
}

export const salesforce: ConnectorDefinition = {
  keys: ['instanceUrl', 'clientId', 'clientSecret', 'externalIdField', 'apiVersion'],
  secretKeys: ['clientSecret'],
  parse(value, where, problems) {
    const before = problems.list.length;
    const instanceUrl = url(value.instanceUrl, `${where}.instanceUrl`, problems);
    const clientId = requiredText(value.clientId, `${where}.clientId`, problems);
    const clientSecret = requiredText(value.clientSecret, `${where}.clientSecret`, problems);
    const externalIdField = fieldName(value.externalIdField, `${where}.externalIdField`, problems);
    const apiVersion = version(value.apiVersion ?? DEFAULT_API_VERSION, `${where}.apiVersion`, problems);
    if (problems.list.length > before || !instanceUrl || !clientId || !clientSecret || !externalIdField || !apiVersion)
      return undefined;
    return instance({ instanceUrl: instanceUrl.replace(/\/+$/, ''), clientId, clientSecret, externalIdField, apiVersion });
  },
};

function instance(settings: SalesforceSettings): ConnectorInstance {
  const leads = (base: string) => `${base}/services/data/${settings.apiVersion}/sobjects/Lead/${settings.externalIdField}`;
  return {
    target: `${leads(settings.instanceUrl)}/{lead id}`,
    token: {
      kind: 'fetched',
      key: credentialKey('salesforce', settings.instanceUrl, settings.clientId, settings.clientSecret),
      request: () => ({
        url: `${settings.instanceUrl}/services/oauth2/token`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
          'user-agent': USER_AGENT,
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: settings.clientId,
          client_secret: settings.clientSecret,
        }).toString(),
      }),
      read: (answer) => readToken(answer, settings.instanceUrl),
    },
    defaultFields: (payload) => defaultLeadFields(payload.data),
    renderRecord: (record, token) => {
      // A test lead gets a key of its own, so it can never overwrite a real lead's record.
      const key = record.webhookId.startsWith('test_') ? record.webhookId : record.leadId;
      const fields = { ...record.fields };
      // The key is the URL's; a different value in the body would contradict it.
      for (const name of Object.keys(fields))
        if (name.toLowerCase() === settings.externalIdField.toLowerCase()) delete fields[name];
      return {
        url: `${leads(token.context?.instanceUrl ?? settings.instanceUrl)}/${encodeURIComponent(key)}`,
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, authorization: `Bearer ${token.value}` },
        body: JSON.stringify(fields),
      };
    },
    readAnswer,
  };
}

function readToken(answer: VendorAnswer, configured: string): AccessToken {
  const json = jsonObject(answer.body);
  if (answer.status !== 200 || json === undefined) {
    const code = typeof json?.error === 'string' && /^[a-z_]{1,40}$/i.test(json.error) ? ` (${json.error})` : '';
    throw new TokenRequestError(`Salesforce's token endpoint answered HTTP ${answer.status}${code}`);
  }
  const value = json.access_token;
  if (typeof value !== 'string' || value === '') throw new TokenRequestError(`Salesforce's token answer has no access_token`);
  // Records go to the instance the token names; only an https one (or this machine's, for a simulator).
  const named = typeof json.instance_url === 'string' ? safeInstance(json.instance_url, configured) : undefined;
  return { value, context: { instanceUrl: named ?? configured } };
}

function safeInstance(value: string, configured: string): string | undefined {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'https:' || parsed.origin === new URL(configured).origin) return parsed.origin;
  } catch {
    // Not a URL: the configured instance is used.
  }
  return undefined;
}

function readAnswer(answer: VendorAnswer): ConnectorVerdict {
  const read = readUpsertAnswer(answer.status, answer.body);
  switch (read.kind) {
    case 'delivered':
      return read.recordId === undefined ? { outcome: 'delivered' } : { outcome: 'delivered', recordId: read.recordId };
    case 'reauthenticate':
      return { outcome: 'reauthenticate', reason: read.reason };
    case 'retry':
      return { outcome: 'retry', reasonClass: read.reasonClass, reason: read.reason };
    case 'rejected':
      return { outcome: 'rejected', reasonClass: read.reasonClass, reason: read.reason };
  }
}

/** An API field name (`Alimama_Lead_Id__c`): letters, digits and underscores, as Salesforce allows. */
function fieldName(value: unknown, name: string, problems: Problems): string | undefined {
  const text = requiredText(value, name, problems);
  if (text !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(text)) {
    problems.add(`${name} must be the field's API name (e.g. Alimama_Lead_Id__c), letters, digits and underscores`);
    return undefined;
  }
  return text;
}

function version(value: unknown, name: string, problems: Problems): string | undefined {
  const match = typeof value === 'string' ? /^v(\d{2,3})\.0$/.exec(value) : null;
  if (match === null || Number(match[1]) < MIN_API_VERSION) {
    problems.add(`${name} must be a REST API version from v${MIN_API_VERSION}.0, e.g. "${DEFAULT_API_VERSION}"`);
    return undefined;
  }
  return value as string;
}
