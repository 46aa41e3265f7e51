import type { SignMethod } from '../config/stack-contract';
import type { ConnectorInstance } from '../webhook/connectors/types';
import type { CompiledExpression } from '../webhook/expressions/compile';
import type { LeadId } from './ids';

/** The settings of DESIGN §4, validated: what every part of the pipeline runs on. */

// Shared with the stack, so defined in the contract between the two.
export {
  DEFAULT_GATEWAY_URL,
  DEFAULT_PAGE_SIZE,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_SIGN_METHOD,
  DEFAULT_START_FROM,
  MAX_PAGE_SIZE,
  SIGN_METHODS,
  type SignMethod,
} from '../config/stack-contract';

/** Formats that render a request to the endpoint's `url` (webhook/formats). */
export type WebhookFormatName = 'standard' | 'wecom' | 'dingtalk' | 'feishu' | 'http';
export const WEBHOOK_FORMATS: readonly WebhookFormatName[] = ['standard', 'wecom', 'dingtalk', 'feishu', 'http'];
/** Formats that create the lead in a CRM themselves (webhook/connectors, DESIGN §7). Alphabetical. */
export type ConnectorFormat = 'feishu-bitable' | 'fxiaoke' | 'hubspot' | 'salesforce';
export const CONNECTOR_FORMATS: readonly ConnectorFormat[] = ['feishu-bitable', 'fxiaoke', 'hubspot', 'salesforce'];
export type EndpointFormat = WebhookFormatName | ConnectorFormat;
export const ENDPOINT_FORMATS: readonly EndpointFormat[] = [...WEBHOOK_FORMATS, ...CONNECTOR_FORMATS];

export function isConnectorFormat(format: EndpointFormat): format is ConnectorFormat {
  return (CONNECTOR_FORMATS as readonly string[]).includes(format);
}
/** The formats an endpoint's `auth` applies to: the chat robots authenticate by their url or signature. */
export const AUTH_FORMATS: readonly EndpointFormat[] = ['standard', 'http'];

export type HttpMethod = 'POST' | 'PUT' | 'PATCH';
export const HTTP_METHODS: readonly HttpMethod[] = ['POST', 'PUT', 'PATCH'];
/** `json`: the body's JSON; `form`: application/x-www-form-urlencoded of its top-level keys. */
export type HttpContentType = 'json' | 'form';
export const HTTP_CONTENT_TYPES: readonly HttpContentType[] = ['json', 'form'];

/** How a request proves who sends it (DESIGN §7). Every string here but the type and urls is a secret. */
export type EndpointAuth =
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  /** RFC 6749 §4.4 client credentials, the client id and secret in the form body. */
  | { type: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string };

export const DEFAULT_ENDPOINT_TIMEOUT_MS = 10_000;

export interface TopSettings {
  appKey: string;
  appSecret: string;
  sessionKey: string;
  gatewayUrl: string;
  signMethod: SignMethod;
  /** 1–100 */
  pageSize: number;
}

export type StartFrom = { kind: 'latest' } | { kind: 'all' } | { kind: 'id'; id: LeadId };

export interface Endpoint {
  /** The ledger key: renaming an endpoint makes it a new endpoint. */
  name: string;
  url: string;
  /**
   * Signing secrets, current first. `standard`: `whsec_<base64>` (every one signs while
   * rotating). `dingtalk` / `feishu`: the robot's signing secret (first only). Empty: unsigned.
   */
  secrets: string[];
  headers: Record<string, string>;
  format: EndpointFormat;
  timeoutMs: number;
  /** Only leads for which it yields `true` go to this endpoint (any format). */
  filter?: CompiledExpression;
  /** `http` only: the method (POST by default). */
  method?: HttpMethod;
  /** `http` only: how the body is encoded (json by default). */
  contentType?: HttpContentType;
  /** `http` only: the body; without one, the Standard payload. */
  body?: CompiledExpression;
  /** `standard` and `http` only. */
  auth?: EndpointAuth;
  /** Connector formats only: the record's fields; without one, the connector's default mapping. */
  fields?: CompiledExpression;
  /**
   * Connector formats only (and always there for them): the connector with its settings
   * validated. `url` then shows its target, `secrets` and `headers` are empty.
   */
  connector?: ConnectorInstance;
}

export interface PollerSettings {
  top: TopSettings;
  startFrom: StartFrom;
  pollIntervalSeconds: number;
}

export interface ForwarderSettings {
  webhooks: Endpoint[];
  /** PEM (PKCS#8 or PKCS#1) for decrypting `mobile`; absent: forward the ciphertext. */
  mobilePrivateKey?: string;
}

export type Settings = PollerSettings & ForwarderSettings;
