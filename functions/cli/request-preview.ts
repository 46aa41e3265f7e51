import type { Endpoint } from '../shared/domain/settings';
import { maskedAuthorization } from '../shared/webhook/auth/authorization';
import { webhookIdOf, type Delivery } from '../shared/webhook/delivery';
import { renderRequest, type RenderedRequest } from '../shared/webhook/formats';
import { prepareDelivery } from '../shared/webhook/prepare';

/**
 * What `check` shows of an endpoint whose request is the operator's own work (a filter, format
 * http, auth): what its expressions make of a sample lead and the request that would go out,
 * with every credential masked. The sample lead is synthetic, so jsonata's own words about a
 * failure (which may quote the lead) can be shown.
 */

/** Long enough for any template's body; a longer one is cut where it is shown. */
const MAX_BODY_CHARS = 2_000;
const MASK = '****';

/** Endpoints worth a preview: the others send a fixed format that the tests already pin. */
export function wantsPreview(endpoint: Endpoint): boolean {
  return (
    endpoint.filter !== undefined || endpoint.format === 'http' || endpoint.auth !== undefined || endpoint.connector !== undefined
  );
}

export async function previewRequest(endpoint: Endpoint, sample: Delivery, now: Date): Promise<string[]> {
  const head = `${endpoint.name} (${endpoint.format}) with a sample lead`;
  const prepared = await prepareDelivery(endpoint, sample);
  if (prepared.kind === 'skip') return [`${head}: filtered out (its filter does not yield true), nothing would be sent`];
  if (prepared.kind === 'park')
    return [`${head}: ${prepared.reason}${prepared.error.detail === undefined ? '' : ` — JSONata: ${prepared.error.detail}`}`];
  const request = requestOf(endpoint, prepared.delivery, now);
  const headers = { ...request.headers };
  // Custom header values are often credentials; the forwarder's own are not.
  for (const name of Object.keys(endpoint.headers)) headers[name.toLowerCase()] = MASK;
  if (endpoint.auth !== undefined) headers.authorization = maskedAuthorization(endpoint.auth);
  if (endpoint.connector !== undefined && headers.authorization !== undefined) headers.authorization = 'Bearer ****';
  const body = request.body.length <= MAX_BODY_CHARS ? request.body : `${request.body.slice(0, MAX_BODY_CHARS)}…`;
  return [
    `${head}:`,
    `  ${request.method ?? 'POST'} ${shownUrl(request.url)}`,
    ...Object.entries(headers).map(([name, value]) => `  ${name}: ${value}`),
    `  ${body}`,
  ];
}

/**
 * A connector's record request is rendered with a stand-in token (`check` fetches none unless
 * `--online`): what is shown is the record and where it goes, the credential masked.
 */
function requestOf(endpoint: Endpoint, delivery: Delivery, now: Date): RenderedRequest {
  if (endpoint.connector === undefined) return renderRequest(endpoint, delivery, now);
  return endpoint.connector.renderRecord(
    { fields: delivery.fields ?? {}, leadId: delivery.lead.id, webhookId: webhookIdOf(delivery), endpointName: endpoint.name },
    { value: MASK },
  );
}

/** The url without its query, which often carries the endpoint's key. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
}
