import { ConfigError } from '../domain/errors';
import { integer, oneOf, Problems, requiredText, shown, unknownKeys, url } from './readers';
import { isLeadId } from '../domain/ids';
import { RESERVED_HEADERS } from '../domain/reserved-headers';
import { duplicateKeyProblems } from './json-duplicate-keys';
import { jsonSyntaxProblem } from './json-syntax';
import { isRecord } from '../domain/is-record';
import { shownKey } from './shown-key';
import {
  AUTH_FORMATS,
  DEFAULT_ENDPOINT_TIMEOUT_MS,
  DEFAULT_GATEWAY_URL,
  DEFAULT_PAGE_SIZE,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_SIGN_METHOD,
  DEFAULT_START_FROM,
  ENDPOINT_FORMATS,
  MAX_PAGE_SIZE,
  HTTP_CONTENT_TYPES,
  HTTP_METHODS,
  SIGN_METHODS,
  type Endpoint,
  type EndpointAuth,
  CONNECTOR_FORMATS,
  type ConnectorFormat,
  type EndpointFormat,
  isConnectorFormat,
  type HttpContentType,
  type HttpMethod,
  type ForwarderSettings,
  type PollerSettings,
  type Settings,
  type SignMethod,
  type StartFrom,
  type TopSettings,
} from '../domain/settings';
import { isValidHeaderValue } from '../webhook/header-value';
import { validateWebhookSecret } from '../webhook/signature';
import { validatePrivateKey } from '../mobile/private-key';
import { CONNECTORS } from '../webhook/connectors';
import { compileExpression, ExpressionSyntaxError, type CompiledExpression } from '../webhook/expressions/compile';

/**
 * Parses and validates settings once, at start. Every problem is collected and thrown together
 * as one ConfigError, so an operator fixes a config in one round; secrets never appear in it.
 */

const MAX_ENDPOINT_TIMEOUT_MS = 60_000;
const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_KEYS = ['appKey', 'appSecret', 'sessionKey', 'gatewayUrl', 'signMethod', 'pageSize'];
const ENDPOINT_KEYS = [
  'name',
  'url',
  'secret',
  'headers',
  'format',
  'timeoutMs',
  'filter',
  'method',
  'contentType',
  'body',
  'auth',
  'fields',
];
/** What every connector endpoint may set besides its connector's own settings. */
const CONNECTOR_ENDPOINT_KEYS = ['name', 'format', 'timeoutMs', 'filter', 'fields'];
/** Settings of format `http` alone. */
const HTTP_KEYS = ['method', 'contentType', 'body'] as const;
/** The keys of each kind of `auth`, `type` first; all required but oauth2's `scope`. */
const AUTH_KEYS: Readonly<Record<EndpointAuth['type'], readonly string[]>> = {
  bearer: ['type', 'token'],
  basic: ['type', 'username', 'password'],
  oauth2: ['type', 'tokenUrl', 'clientId', 'clientSecret', 'scope'],
};
const SETTINGS_KEYS = ['top', 'pollIntervalSeconds', 'startFrom', 'webhooks', 'mobilePrivateKey'];
/** Headers undici refuses on a request (or, for Connection, that would change how it reuses sockets). */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);
// Names the rule, never the value: header values are often credentials.
const HEADER_VALUE_RULE =
  'must be a single-line string of visible ASCII characters, spaces and tabs (HTTP headers cannot carry other text; encode it the way the receiver expects, e.g. percent-encoding)';

/** The whole local config file (DESIGN §4 keys). */
export function parseSettings(input: unknown): Settings {
  const problems = new Problems();
  if (!isRecord(input)) throw new ConfigError(['the configuration must be a JSON object']);
  unknownKeys(input, SETTINGS_KEYS, '', problems);
  const poller = pollerSettings(input, problems);
  const forwarder = forwarderSettings(input, problems);
  problems.throwIfAny();
  return { ...poller!, ...forwarder! };
}

/** What the poller needs (the Lambda builds this input from its environment and secrets). */
export function parsePollerSettings(input: Record<string, unknown>): PollerSettings {
  const problems = new Problems();
  const settings = pollerSettings(input, problems);
  problems.throwIfAny();
  return settings!;
}

/** What the forwarder needs. */
export function parseForwarderSettings(input: Record<string, unknown>): ForwarderSettings {
  const problems = new Problems();
  const settings = forwarderSettings(input, problems);
  problems.throwIfAny();
  return settings!;
}

/**
 * Parses JSON text (the `Webhooks` parameter, a local config file), reporting bad JSON as a
 * ConfigError that names `what` and locates the problem by line and column. It never quotes the
 * text: Node's own message quotes the input around the error, and that input may be a secret.
 *
 * A byte order mark is refused here, by name. loadConfigFile drops the one a file starts with,
 * where it marks the file's encoding; a stack parameter or secret is a string handed over already
 * decoded, so a BOM in it was copied into the value by mistake (RFC 8259 §8.1 forbids sending
 * one). It is better removed where it was written, leaving the secret valid JSON for every other
 * reader, than skipped here.
 *
 * A key given twice in one object is refused too: JSON.parse would keep the last without a
 * word, and `"startFrom": "all", …, "startFrom": "latest"` would quietly skip every existing lead.
 */
export function parseJsonSetting(what: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    // No `cause`: the SyntaxError's message quotes the input, and a cause is printed wherever
    // an error is inspected or logged (console, the handlers' logger).
    throw new ConfigError([`${what} is not valid JSON: ${jsonSyntaxProblem(text)}`]);
  }
  // Before validation, which would check only whichever value came last.
  const duplicates = duplicateKeyProblems(text);
  if (duplicates.length > 0) throw new ConfigError(duplicates.map((problem) => `${what}: ${problem}`));
  return value;
}

function pollerSettings(input: Record<string, unknown>, problems: Problems): PollerSettings | undefined {
  const top = topSettings(input.top, problems);
  const startFrom = parseStartFrom(input.startFrom ?? DEFAULT_START_FROM, problems);
  const pollIntervalSeconds = integer(
    input.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS,
    'pollIntervalSeconds',
    1,
    86_400,
    problems,
  );
  if (top === undefined || startFrom === undefined || pollIntervalSeconds === undefined) return undefined;
  return { top, startFrom, pollIntervalSeconds };
}

function forwarderSettings(input: Record<string, unknown>, problems: Problems): ForwarderSettings | undefined {
  const webhooks = parseWebhooks(input.webhooks, problems);
  const key = input.mobilePrivateKey;
  let mobilePrivateKey: string | undefined;
  if (key !== undefined && key !== null && key !== '') {
    if (typeof key !== 'string') problems.add('mobilePrivateKey must be a PEM string');
    else {
      const problem = validatePrivateKey(key);
      if (problem === undefined) mobilePrivateKey = key;
      else problems.add(`mobilePrivateKey: ${problem}`);
    }
  }
  if (webhooks === undefined) return undefined;
  return mobilePrivateKey === undefined ? { webhooks } : { webhooks, mobilePrivateKey };
}

function topSettings(value: unknown, problems: Problems): TopSettings | undefined {
  if (!isRecord(value)) {
    problems.add('top is missing: it needs appKey, appSecret and sessionKey');
    return undefined;
  }
  unknownKeys(value, TOP_KEYS, 'top.', problems);
  const appKey = requiredText(value.appKey, 'top.appKey', problems);
  const appSecret = requiredText(value.appSecret, 'top.appSecret', problems);
  const sessionKey = requiredText(value.sessionKey, 'top.sessionKey', problems);
  const gatewayUrl = url(value.gatewayUrl ?? DEFAULT_GATEWAY_URL, 'top.gatewayUrl', problems);
  const signMethod = oneOf<SignMethod>(value.signMethod ?? DEFAULT_SIGN_METHOD, SIGN_METHODS, 'top.signMethod', problems);
  const pageSize = integer(value.pageSize ?? DEFAULT_PAGE_SIZE, 'top.pageSize', 1, MAX_PAGE_SIZE, problems);
  if (appKey === undefined || appSecret === undefined || sessionKey === undefined) return undefined;
  if (gatewayUrl === undefined || signMethod === undefined || pageSize === undefined) return undefined;
  return { appKey, appSecret, sessionKey, gatewayUrl, signMethod, pageSize };
}

/** `latest`, `all`, or a lead id (digits). */
export function parseStartFrom(value: unknown, problems: Problems = new Problems()): StartFrom | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (text === 'latest') return { kind: 'latest' };
  if (text === 'all') return { kind: 'all' };
  if (isLeadId(text)) return { kind: 'id', id: text };
  // A bare number that long has already lost digits in JSON parsing: echoing it would mislead.
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && value > 0) {
    problems.add(
      'startFrom must be "latest", "all" or a lead id in double quotes: as a bare number a long id loses its last digits',
    );
  } else problems.add(`startFrom must be "latest", "all" or a lead id (digits), not ${shown(value)}`);
  return undefined;
}

function parseWebhooks(value: unknown, problems: Problems): Endpoint[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.add('webhooks must be a non-empty list of endpoints like {"name": "crm", "url": "https://…"}');
    return undefined;
  }
  const endpoints: Endpoint[] = [];
  const names = new Set<string>();
  value.forEach((item: unknown, index) => {
    // As parseEndpoint keeps it: trimmed, so " crm " and "crm" are one ledger key.
    const name = isRecord(item) && typeof item.name === 'string' ? item.name.trim() : undefined;
    if (name !== undefined && names.has(name))
      problems.add(`webhooks[${index}].name "${shownKey(name)}" is used twice: names key the delivery ledger`);
    if (name !== undefined) names.add(name);
    const endpoint = parseEndpoint(item, `webhooks[${index}]`, problems);
    if (endpoint !== undefined) endpoints.push(endpoint);
  });
  return endpoints.length === value.length ? endpoints : undefined;
}

function parseEndpoint(value: unknown, where: string, problems: Problems): Endpoint | undefined {
  if (!isRecord(value)) {
    problems.add(`${where} must be an object with at least "name" and "url"`);
    return undefined;
  }
  const before = problems.list.length;
  const name = requiredText(value.name, `${where}.name`, problems);
  if (name !== undefined && !ENDPOINT_NAME.test(name)) {
    problems.add(`${where}.name must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  const label = name === undefined ? where : `webhooks "${name}"`;
  const format = oneOf<EndpointFormat>(value.format ?? 'standard', ENDPOINT_FORMATS, `${label}.format`, problems);
  if (format !== undefined && isConnectorFormat(format)) return connectorEndpoint(value, name, label, format, before, problems);
  unknownKeys(value, ENDPOINT_KEYS, `${where}.`, problems);
  if (value.fields !== undefined)
    problems.add(
      `${label}.fields applies to the connector formats only (${CONNECTOR_FORMATS.join(', ')}); format "http" shapes its request with "body"`,
    );
  const endpointUrl = url(value.url, `${label}.url`, problems);
  const timeoutMs = integer(
    value.timeoutMs ?? DEFAULT_ENDPOINT_TIMEOUT_MS,
    `${label}.timeoutMs`,
    100,
    MAX_ENDPOINT_TIMEOUT_MS,
    problems,
  );
  const secrets = parseSecrets(value.secret, format, label, problems);
  const headers = parseHeaders(value.headers, label, problems);
  const filter = expression(value.filter, `${label}.filter`, problems);
  for (const key of HTTP_KEYS) {
    if (value[key] !== undefined && format !== undefined && format !== 'http')
      problems.add(`${label}.${key} applies to format "http" only, not "${format}"`);
  }
  const http = format === 'http' ? httpSettings(value, label, problems) : {};
  const auth = parseAuth(value.auth, format, label, problems);
  // Two credentials for one header: the forwarder would have to pick one without a word.
  if (auth !== undefined && headers?.authorization !== undefined)
    problems.add(`${label}: "auth" and an "Authorization" header both set the Authorization header; keep one`);
  if (problems.list.length > before) return undefined;
  return {
    name: name!,
    url: endpointUrl!,
    format: format!,
    timeoutMs: timeoutMs!,
    secrets: secrets!,
    headers: headers!,
    filter,
    ...http,
    auth,
  };
}

/**
 * An endpoint of a connector format (DESIGN §7): the settings every endpoint has, `fields`, and
 * the connector's own; no `url` (the vendor's paths replace it), `secret`, `headers` or `auth`
 * (the connector authenticates with its own credentials).
 */
function connectorEndpoint(
  value: Record<string, unknown>,
  name: string | undefined,
  label: string,
  format: ConnectorFormat,
  before: number,
  problems: Problems,
): Endpoint | undefined {
  const definition = CONNECTORS[format];
  const known = [...CONNECTOR_ENDPOINT_KEYS, ...definition.keys];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    problems.add(
      ENDPOINT_KEYS.includes(key)
        ? `${label}.${key} does not apply to format "${format}": a connector sends with its own settings (${definition.keys.join(', ')})`
        : `unknown setting "${key}" in ${label} (known for format "${format}": ${known.join(', ')})`,
    );
  }
  const timeoutMs = integer(
    value.timeoutMs ?? DEFAULT_ENDPOINT_TIMEOUT_MS,
    `${label}.timeoutMs`,
    100,
    MAX_ENDPOINT_TIMEOUT_MS,
    problems,
  );
  const filter = expression(value.filter, `${label}.filter`, problems);
  const fields = expression(value.fields, `${label}.fields`, problems);
  const connector = definition.parse(value, label, problems);
  if (problems.list.length > before || connector === undefined) return undefined;
  return {
    name: name!,
    url: connector.target,
    format,
    timeoutMs: timeoutMs!,
    secrets: [],
    headers: {},
    filter,
    fields,
    connector,
  };
}

function httpSettings(
  value: Record<string, unknown>,
  label: string,
  problems: Problems,
): Pick<Endpoint, 'method' | 'contentType' | 'body'> {
  return {
    method: oneOf<HttpMethod>(value.method ?? 'POST', HTTP_METHODS, `${label}.method`, problems),
    contentType: oneOf<HttpContentType>(value.contentType ?? 'json', HTTP_CONTENT_TYPES, `${label}.contentType`, problems),
    body: expression(value.body, `${label}.body`, problems),
  };
}

/** A JSONata expression, compiled now so that one that cannot run is a configuration problem. */
function expression(value: unknown, name: string, problems: Problems): CompiledExpression | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(
      `${name} must be a JSONata expression in a string, not ${typeof value === 'string' ? 'an empty one' : `a ${Array.isArray(value) ? 'list' : typeof value}`}`,
    );
    return undefined;
  }
  try {
    return compileExpression(value);
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    problems.add(`${name} does not compile: ${error.message}`);
    return undefined;
  }
}

/** `auth` of DESIGN §7. Names keys and types only: every value but `type` and `tokenUrl` is a secret. */
function parseAuth(
  value: unknown,
  format: EndpointFormat | undefined,
  label: string,
  problems: Problems,
): EndpointAuth | undefined {
  if (value === undefined || value === null) return undefined;
  const where = `${label}.auth`;
  if (format !== undefined && !AUTH_FORMATS.includes(format)) {
    problems.add(
      `${where} applies to formats ${AUTH_FORMATS.join(' and ')} only: a ${format} robot's credential is the key in its url${format === 'wecom' ? '' : ' and its signing secret'}`,
    );
    return undefined;
  }
  if (!isRecord(value) || typeof value.type !== 'string' || !Object.hasOwn(AUTH_KEYS, value.type)) {
    problems.add(
      `${where} must be an object with "type": ${Object.keys(AUTH_KEYS)
        .map((t) => `"${t}"`)
        .join(', ')}`,
    );
    return undefined;
  }
  const type = value.type as EndpointAuth['type'];
  const before = problems.list.length;
  unknownKeys(value, [...AUTH_KEYS[type]], `${where}.`, problems);
  const text = (key: string): string | undefined => requiredText(value[key], `${where}.${key}`, problems);
  let auth: EndpointAuth | undefined;
  if (type === 'bearer') {
    const token = text('token');
    // Not echoed: the rule only. HTTP cannot carry a line break or Chinese text in a header.
    if (token !== undefined && !isValidHeaderValue(token)) problems.add(`${where}.token ${HEADER_VALUE_RULE}`);
    if (token !== undefined) auth = { type, token };
  } else if (type === 'basic') {
    const username = text('username');
    const password = text('password');
    // RFC 7617 §2: the user-id ends at the first colon, so one inside it would move the boundary.
    if (username?.includes(':') === true)
      problems.add(
        `${where}.username cannot contain ":" (Basic authentication separates the user name from the password with it)`,
      );
    if (username !== undefined && password !== undefined) auth = { type, username, password };
  } else {
    const tokenUrl = url(value.tokenUrl, `${where}.tokenUrl`, problems);
    const clientId = text('clientId');
    const clientSecret = text('clientSecret');
    const scope = value.scope === undefined || value.scope === null ? undefined : text('scope');
    if (tokenUrl !== undefined && clientId !== undefined && clientSecret !== undefined)
      auth = { type, tokenUrl, clientId, clientSecret, scope };
  }
  return problems.list.length > before ? undefined : auth;
}

function parseSecrets(
  value: unknown,
  format: EndpointFormat | undefined,
  label: string,
  problems: Problems,
): string[] | undefined {
  if (value === undefined || value === null || value === '') return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s): s is string => typeof s === 'string' && s !== '')) {
    problems.add(`${label}.secret must be a string, or a non-empty list of strings while rotating`);
    return undefined;
  }
  if (format === 'wecom') {
    // A WeCom group robot checks only the key in its URL: a secret here would sign nothing, and
    // an operator who set one would believe the robot's messages are verified.
    problems.add(
      `${label}.secret: WeCom group robots do not sign messages (the key in the url is their credential); remove the secret`,
    );
    return undefined;
  }
  if (format === 'standard' || format === 'http') {
    list.forEach((secret, i) => {
      const problem = validateWebhookSecret(secret);
      // The secret itself is never echoed: only its position.
      if (problem !== undefined) problems.add(`${label}.secret${list.length > 1 ? `[${i}]` : ''}: ${problem}`);
    });
  }
  return list;
}

function parseHeaders(value: unknown, label: string, problems: Problems): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    problems.add(`${label}.headers must be an object of header names to string values`);
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [key, headerValue] of Object.entries(value)) {
    const name = key.toLowerCase();
    const shown = shownKey(key);
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      problems.add(
        `${label}.headers: "${shown}" is not a valid header name${key.includes(':') ? ' (the value goes after the name, not in it: {"Authorization": "Bearer …"})' : ''}`,
      );
    } else if (RESERVED_HEADERS.has(name))
      problems.add(`${label}.headers: "${shown}" is set by the forwarder and cannot be overridden`);
    else if (CONNECTION_HEADERS.has(name))
      problems.add(
        `${label}.headers: "${shown}" controls the connection, which the forwarder's HTTP client manages (it refuses the request); remove it`,
      );
    // Distinct JSON keys, one header: the second would replace the first without a word.
    else if (Object.hasOwn(headers, name))
      problems.add(`${label}.headers: "${shown}" is given twice (header names ignore case); keep the one you mean`);
    else if (typeof headerValue !== 'string' || !isValidHeaderValue(headerValue))
      problems.add(`${label}.headers["${shown}"] ${HEADER_VALUE_RULE}`);
    else headers[name] = headerValue;
  }
  return headers;
}
