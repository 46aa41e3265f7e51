import type { Dispatcher } from 'undici';
import type { Endpoint } from '../shared/domain/settings';
import { TokenRequestError } from '../shared/webhook/auth/oauth2-token';
import { fetchConnectorToken } from '../shared/webhook/connectors/send';
import { send } from '../shared/webhook/sender';

/**
 * `check --online` (DESIGN §7, issue #15): proves a connector's credentials and nothing else: a
 * token fetched from the vendor (never cached, never shown), or for a static token its probe, a
 * read the vendor answers only to a valid one. No record is created.
 * Resolves to what the operator reads: `credentials accepted …`, or the vendor's refusal.
 */
export async function proveCredentials(dispatcher: Dispatcher, endpoint: Endpoint): Promise<{ ok: boolean; line: string }> {
  const connector = endpoint.connector;
  const head = `${endpoint.name} (${endpoint.format})`;
  if (connector === undefined) return { ok: true, line: `${head}: not a connector, nothing to prove online` };
  const flow = connector.token;
  if (flow.kind === 'fetched') {
    try {
      const token = await fetchConnectorToken(dispatcher, endpoint, flow);
      const lifetime = token.expiresInSeconds === undefined ? '' : `, valid ${token.expiresInSeconds} s`;
      return { ok: true, line: `${head}: credentials accepted (a token was issued${lifetime})` };
    } catch (error) {
      if (error instanceof TokenRequestError) return { ok: false, line: `${head}: ${error.message}` };
      throw error;
    }
  }
  const result = await send(dispatcher, flow.probe(), endpoint.timeoutMs);
  // Not "could not be reached": the sender also refuses, unsent, a token HTTP cannot carry (a
  // pasted non-Latin-1 character), and its message says which.
  if (result.kind === 'network') return { ok: false, line: `${head}: the probe got no answer (${result.message})` };
  const problem = flow.readProbe({ status: result.status, body: result.body });
  return problem === undefined
    ? { ok: true, line: `${head}: credentials accepted (HTTP ${result.status} to an authenticated read)` }
    : { ok: false, line: `${head}: ${problem}` };
}
