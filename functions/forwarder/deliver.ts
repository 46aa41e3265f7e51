import type { Dispatcher } from 'undici';
import type { Endpoint } from '../shared/domain/settings';
import type { Delivery } from '../shared/webhook/delivery';
import { renderRequest } from '../shared/webhook/formats';
import { sendAuthorized } from '../shared/webhook/auth/send-authorized';
import { TokenRequestError } from '../shared/webhook/auth/oauth2-token';
import { classify } from './outcome';
import type { AttemptResult } from './ports';

/**
 * One HTTP attempt to one endpoint: render in its format, send with its `auth`, and read the
 * answer. A token endpoint that cannot give a token is a failed attempt to retry later (DESIGN §7).
 */
export function createDeliver(
  dispatcher: Dispatcher,
  now: () => Date = () => new Date(),
): (endpoint: Endpoint, delivery: Delivery) => Promise<AttemptResult> {
  return async (endpoint, delivery) => {
    const request = renderRequest(endpoint, delivery, now());
    try {
      const result = await sendAuthorized(dispatcher, endpoint, request);
      return classify(result, endpoint.format, { endpoint: endpoint.name, now: now() });
    } catch (error) {
      if (error instanceof TokenRequestError) return { outcome: 'retry', reason: error.message, latencyMs: 0 };
      throw error;
    }
  };
}
