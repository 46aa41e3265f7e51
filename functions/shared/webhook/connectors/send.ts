import type { Dispatcher } from 'undici';
import { TokenRequestError, TOKEN_RESPONSE_MAX_BYTES } from '../auth/oauth2-token';
import { processTokenCache, type TokenCache } from '../auth/token-cache';
import type { RenderedRequest } from '../formats/types';
import { send, type SendResult } from '../sender';
import type {
  AccessToken,
  ConnectorInstance,
  ConnectorRecord,
  ConnectorVerdict,
  LookupVerdict,
  TokenFlow,
  VendorAnswer,
} from './types';
import { processWriteLanes, type WriteLanes } from './write-lanes';

/**
 * One delivery to a connector (DESIGN §7): the token (cached and shared by the process), the
 * optional look-up of a record this lead already made, then the create request (one at a time
 * per write lane when the connector names one), each answer read
 * by the connector's error table. A token the vendor refuses before its time is dropped and the
 * request made once more with a new one; a second refusal is a retry for later (class `auth`).
 * Throws TokenRequestError (retryable) when no token can be had; resolves otherwise.
 */

export type ConnectorAttempt =
  | { kind: 'network'; result: Extract<SendResult, { kind: 'network' }> }
  /** `status` and `body` are the last answer's; `latencyMs` adds up every request of the delivery. */
  | { kind: 'answered'; status: number; body: string; retryAfter?: string; latencyMs: number; verdict: ConnectorVerdict };

/** What a connector endpoint needs from its Endpoint. */
export interface ConnectorTarget {
  name: string;
  timeoutMs: number;
  connector: ConnectorInstance;
}

export async function sendToConnector(
  dispatcher: Dispatcher,
  endpoint: ConnectorTarget,
  record: ConnectorRecord,
  tokens: TokenCache = processTokenCache,
  lanes: WriteLanes = processWriteLanes,
): Promise<ConnectorAttempt> {
  const { connector } = endpoint;
  const exchange = createExchange(dispatcher, endpoint, tokens);
  let latencyMs = 0;
  if (connector.lookup !== undefined) {
    const { lookup } = connector;
    const found = await exchange<LookupVerdict>(
      (token) => lookup.request(record, token),
      (answer) => lookup.read(answer),
    );
    if (found.kind === 'network') return found;
    latencyMs += found.latencyMs;
    const verdict = found.verdict;
    if (verdict.outcome === 'found')
      return { ...found, latencyMs, verdict: { outcome: 'delivered', recordId: verdict.recordId } };
    if (verdict.outcome !== 'absent') return { ...found, latencyMs, verdict };
  }
  const create = (): Promise<Exchanged<ConnectorVerdict>> =>
    exchange<ConnectorVerdict>(
      (token) => connector.renderRecord(record, token),
      (answer) => connector.readAnswer(answer, record),
    );
  const created = connector.writeLane === undefined ? await create() : await lanes.run(connector.writeLane, create);
  if (created.kind === 'network') return created;
  return { ...created, latencyMs: latencyMs + created.latencyMs };
}

/** Asks the vendor for a token; what fails is a TokenRequestError naming the endpoint, never a credential. */
export async function fetchConnectorToken(
  dispatcher: Dispatcher,
  endpoint: Pick<ConnectorTarget, 'name' | 'timeoutMs'>,
  flow: Extract<TokenFlow, { kind: 'fetched' }>,
): Promise<AccessToken> {
  const where = `webhooks "${endpoint.name}": no token`;
  const result = await send(dispatcher, flow.request(), endpoint.timeoutMs, TOKEN_RESPONSE_MAX_BYTES);
  if (result.kind === 'network')
    throw new TokenRequestError(
      `${where}: ${result.reason === 'timeout' ? 'the token endpoint timed out' : 'the token endpoint could not be reached'} (${result.message})`,
    );
  try {
    return flow.read(answerOf(result));
  } catch (error) {
    if (error instanceof TokenRequestError) throw new TokenRequestError(`${where}: ${error.message}`, { cause: error });
    throw error;
  }
}

type Exchanged<V> =
  | { kind: 'answered'; status: number; body: string; retryAfter?: string; latencyMs: number; verdict: V }
  | Extract<ConnectorAttempt, { kind: 'network' }>;

/** One request with the current token, and once more with a new one if the vendor refuses it. */
function createExchange(dispatcher: Dispatcher, endpoint: ConnectorTarget, tokens: TokenCache) {
  const flow = endpoint.connector.token;
  const tokenOf = (): Promise<AccessToken> =>
    flow.kind === 'static'
      ? Promise.resolve(flow.token)
      : tokens.getIssued(flow.key, () => fetchConnectorToken(dispatcher, endpoint, flow));
  return async <V extends { outcome: string }>(
    render: (token: AccessToken) => RenderedRequest,
    read: (answer: VendorAnswer) => V | Extract<ConnectorVerdict, { outcome: 'reauthenticate' }>,
  ): Promise<Exchanged<V | Extract<ConnectorVerdict, { outcome: 'retry' }>>> => {
    let latencyMs = 0;
    for (let attempt = 1; ; attempt += 1) {
      const token = await tokenOf();
      const result = await send(dispatcher, render(token), endpoint.timeoutMs);
      if (result.kind === 'network') return { kind: 'network', result };
      latencyMs += result.latencyMs;
      const verdict = read(answerOf(result));
      const answered = {
        kind: 'answered' as const,
        status: result.status,
        body: result.body,
        retryAfter: result.retryAfter,
        latencyMs,
      };
      if (!isReauthenticate(verdict)) return { ...answered, verdict };
      // A static token cannot be renewed; a fresh one refused as well is not a token problem we can fix now.
      if (flow.kind === 'static' || attempt > 1)
        return {
          ...answered,
          verdict: {
            outcome: 'retry',
            reasonClass: 'auth',
            reason: `${verdict.reason}${attempt > 1 ? ', again with a new token' : ''}`,
          },
        };
      tokens.invalidate(flow.key, token.value);
    }
  };
}

function isReauthenticate<V extends { outcome: string }>(
  verdict: V | Extract<ConnectorVerdict, { outcome: 'reauthenticate' }>,
): verdict is Extract<ConnectorVerdict, { outcome: 'reauthenticate' }> {
  return verdict.outcome === 'reauthenticate';
}

function answerOf(result: Extract<SendResult, { kind: 'response' }>): VendorAnswer {
  return result.retryAfter === undefined
    ? { status: result.status, body: result.body }
    : { status: result.status, body: result.body, retryAfter: result.retryAfter };
}
