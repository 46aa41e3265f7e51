import type { SignMethod } from '../config/stack-contract';
import type { LeadId } from './ids';

/** The settings of DESIGN §4, validated: what every part of the pipeline runs on. */

// Shared with the stack, so defined in the contract between the two.
export { DEFAULT_GATEWAY_URL, DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_SIGN_METHOD, DEFAULT_START_FROM, MAX_PAGE_SIZE, SIGN_METHODS, type SignMethod } from '../config/stack-contract';

export type EndpointFormat = 'standard' | 'wecom' | 'dingtalk' | 'feishu';
export const ENDPOINT_FORMATS: readonly EndpointFormat[] = ['standard', 'wecom', 'dingtalk', 'feishu'];

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
