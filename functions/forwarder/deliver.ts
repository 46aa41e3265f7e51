import type { Dispatcher } from 'undici';
import { isConnectorFormat, type Endpoint } from '../shared/domain/settings';
import { webhookIdOf, type Delivery } from '../shared/webhook/delivery';
import { renderRequest } from '../shared/webhook/formats';
import { sendAuthorized } from '../shared/webhook/auth/send-authorized';
import { TokenRequestError } from '../shared/webhook/auth/oauth2-token';
import { sendToConnector, type ConnectorAttempt } from '../shared/webhook/connectors/send';
import { sentValues, withoutValues } from '../shared/webhook/connectors/sent-values';
import { UnpreparedDeliveryError } from '../shared/webhook/formats/http';
import { classify, excerpt, networkRetry, parseRetryAfter } from './outcome';
import type { AttemptResult } from './ports';

/**
 * One attempt to one endpoint: render in its format, send with its `auth`, and read the answer;
 * or, for a connector, the connector's token, requests and error table. A token endpoint that
 * cannot give a token is a failed attempt to retry later (DESIGN §7).
 */
export function createDeliver(
  dispatcher: Dispatcher,
  now: () => Date = () => new Date(),
): (endpoint: Endpoint, delivery: Delivery) => Promise<AttemptResult> {
  return async (endpoint, delivery) => {
    const format = endpoint.format;
    try {
      if (isConnectorFormat(format)) return await deliverToConnector(dispatcher, endpoint, delivery, now);
      const request = renderRequest(endpoint, delivery, now());
      const result = await sendAuthorized(dispatcher, endpoint, request);
      return classify(result, format, { endpoint: endpoint.name, now: now() });
    } catch (error) {
      if (error instanceof TokenRequestError)
        return { outcome: 'retry', reason: error.message, reasonClass: 'auth', latencyMs: 0 };
      throw error;
    }
  };
}

async function deliverToConnector(
  dispatcher: Dispatcher,
  endpoint: Endpoint,
  delivery: Delivery,
  now: () => Date,
): Promise<AttemptResult> {
  const { connector } = endpoint;
  if (connector === undefined)
    throw new UnpreparedDeliveryError(
      `webhooks "${endpoint.name}" is a ${endpoint.format} connector without its settings (parseSettings)`,
    );
  if (delivery.fields === undefined)
    throw new UnpreparedDeliveryError(
      `webhooks "${endpoint.name}": the record's fields were not prepared (prepareDelivery) before sending`,
    );
  const attempt = await sendToConnector(
    dispatcher,
    { name: endpoint.name, timeoutMs: endpoint.timeoutMs, connector },
    { fields: delivery.fields, leadId: delivery.lead.id, webhookId: webhookIdOf(delivery), endpointName: endpoint.name },
  );
  return connectorResult(attempt, endpoint.name, now(), sentValues(delivery.fields, delivery.lead.name, delivery.lead.mobile));
}

/**
 * A connector's verdict in the forwarder's words; the reason names the vendor's code, the status and the endpoint.
 * `sent` (sent-values.ts), what the request carried, is cut out of the answer's excerpt: a vendor may quote a
 * refused value, the lead's name or mobile, and the excerpt goes into the DLQ reason.
 */
export function connectorResult(attempt: ConnectorAttempt, name: string, now: Date, sent: readonly string[] = []): AttemptResult {
  if (attempt.kind === 'network') return networkRetry(attempt.result, name);
  const { verdict, status, latencyMs } = attempt;
  if (verdict.outcome === 'delivered')
    return verdict.recordId === undefined
      ? { outcome: 'delivered', reason: `HTTP ${status} from ${name}`, status, latencyMs }
      : { outcome: 'delivered', reason: `HTTP ${status} from ${name}`, status, latencyMs, recordId: verdict.recordId };
  // sendToConnector turns a refused token into a retry after its one renewal: none reaches here.
  if (verdict.outcome === 'reauthenticate')
    return {
      outcome: 'retry',
      reason: `${verdict.reason} (HTTP ${status} from ${name})`,
      reasonClass: 'auth',
      status,
      latencyMs,
    };
  const failed = {
    reason: `${verdict.reason} (HTTP ${status} from ${name})`,
    reasonClass: verdict.reasonClass,
    status,
    latencyMs,
    response: excerpt(withoutValues(attempt.body, sent)),
  };
  if (verdict.outcome === 'rejected') return { outcome: 'rejected', ...failed };
  const wait = Math.max(verdict.retryAfterSeconds ?? 0, parseRetryAfter(attempt.retryAfter, now) ?? 0);
  return wait > 0 ? { outcome: 'retry', ...failed, retryAfterSeconds: wait } : { outcome: 'retry', ...failed };
}
