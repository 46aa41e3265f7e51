import type { Endpoint } from '../domain/settings';
import { webhookIdOf, type Delivery } from './delivery';
import type { ConnectorInstance } from './connectors/types';
import { evaluateExpression, ExpressionEvaluationError, type ExpressionBindings } from './expressions/evaluate';
import { encodeHttpBody } from './formats/http';
import { isRecord } from '../domain/is-record';
import { standardPayload, type StandardPayload } from './standard-payload';

/**
 * What an endpoint's expressions (DESIGN §7) make of one lead, before anything is claimed or
 * sent: skip it (its `filter` did not yield true), send it (with the `body` of format `http`
 * evaluated and encoded), or park it (an expression failed on this lead: never a silent drop).
 * Pure apart from time: the same lead and endpoint give the same answer on every retry.
 */
export type Prepared =
  | { kind: 'send'; delivery: Delivery }
  /** Settled for this endpoint: nothing to send, nothing to retry. */
  | { kind: 'skip' }
  /** `reason` names the endpoint and the setting, never the lead's contents. */
  | { kind: 'park'; reason: string; error: ExpressionEvaluationError };

export async function prepareDelivery(endpoint: Endpoint, delivery: Delivery): Promise<Prepared> {
  const where = `webhooks "${endpoint.name}"`;
  const payload = standardPayload(delivery);
  const bindings = { webhookId: webhookIdOf(delivery) };
  try {
    if (endpoint.filter !== undefined) {
      // Only `true` lets the lead through: a filter that yields a string or a list is no "yes".
      if ((await evaluateExpression(endpoint.filter, payload, bindings, `${where}.filter`)) !== true) return { kind: 'skip' };
    }
    const { connector } = endpoint;
    if (connector !== undefined)
      return { kind: 'send', delivery: { ...delivery, fields: await recordFields(endpoint, connector, payload, bindings) } };
    if (endpoint.format !== 'http' || endpoint.body === undefined) return { kind: 'send', delivery };
    const value = await evaluateExpression(endpoint.body, payload, bindings, `${where}.body`);
    const encoded = encodeHttpBody(value, endpoint.contentType ?? 'json');
    if (!encoded.ok) throw new ExpressionEvaluationError(`${where}.body ${encoded.problem}`, undefined, undefined);
    return { kind: 'send', delivery: { ...delivery, body: encoded.text } };
  } catch (error) {
    if (error instanceof ExpressionEvaluationError) return { kind: 'park', reason: error.message, error };
    throw error;
  }
}

/** A connector's record fields: the `fields` expression's object, or the connector's default mapping. */
async function recordFields(
  endpoint: Endpoint,
  connector: ConnectorInstance,
  payload: StandardPayload,
  bindings: ExpressionBindings,
): Promise<Record<string, unknown>> {
  if (endpoint.fields === undefined) return connector.defaultFields(payload);
  const where = `webhooks "${endpoint.name}".fields`;
  const value = await evaluateExpression(endpoint.fields, payload, bindings, where);
  if (!isRecord(value))
    throw new ExpressionEvaluationError(
      `${where} must yield an object of the record's fields, not ${value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`}`,
      undefined,
      undefined,
    );
  return value;
}
