import type { Dispatcher } from 'undici';
import type { Endpoint } from '../shared/domain/settings';
import type { Delivery } from '../shared/webhook/delivery';
import { renderRequest } from '../shared/webhook/formats';
import { send } from '../shared/webhook/sender';
import { classify } from './outcome';
import type { AttemptResult } from './ports';

/** One HTTP attempt to one endpoint: render in its format, send, and read the answer. */
export function createDeliver(dispatcher: Dispatcher, now: () => Date = () => new Date()): (endpoint: Endpoint, delivery: Delivery) => Promise<AttemptResult> {
  return async (endpoint, delivery) => {
    const request = renderRequest(endpoint, delivery, now());
    const result = await send(dispatcher, request, endpoint.timeoutMs);
    return classify(result, endpoint.format, { endpoint: endpoint.name, now: now() });
  };
}
