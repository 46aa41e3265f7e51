/**
 * The custom metrics the functions emit (EMF, through Powertools Metrics), in one dependency-free module so that
 * the stack's alarms and dashboard (infra/) and the handlers name them from the same place.
 * Every metric carries the dimension `service` (the stack name, so several stacks in one account
 * never mix their numbers); per-endpoint delivery metrics add `endpoint` (the endpoint's name).
 */

export const METRICS_NAMESPACE = 'LeadForwarder';
export const SERVICE_DIMENSION = 'service';
export const ENDPOINT_DIMENSION = 'endpoint';

export const POLLER_METRICS = {
  pollSucceeded: 'PollSucceeded',
  pollFailed: 'PollFailed',
  leadsFetched: 'LeadsFetched',
  leadsEnqueued: 'LeadsEnqueued',
  leadsRejected: 'LeadsRejected',
  /** TOP codes 26/27/11: the merchant must re-authorize (or the IP whitelist is wrong). */
  topAuthFailure: 'TopAuthFailure',
  topRateLimited: 'TopRateLimited',
  pollDurationMs: 'PollDurationMs',
  /** Seconds since the cursor was last brought up to date. */
  cursorLagSeconds: 'CursorLagSeconds',
} as const;

/** Emitted with the dimensions service + endpoint. */
export const ENDPOINT_METRICS = {
  delivered: 'Delivered',
  deliveryRetried: 'DeliveryRetried',
  deliveryRejected: 'DeliveryRejected',
  deliveryLatencyMs: 'DeliveryLatencyMs',
  /** The endpoint's filter kept the lead out (DESIGN §7): settled, nothing sent. */
  deliverySkipped: 'DeliverySkipped',
  /**
   * Lead age at delivery (DESIGN §8): when the endpoint accepted the lead minus its gmt_create.
   * Also emitted with the service dimension only (FORWARDER_METRICS), which the alarm reads.
   */
  leadAgeSeconds: 'LeadAgeSeconds',
} as const;

/** Emitted with the dimension service only. */
export const FORWARDER_METRICS = {
  /** A lead went back on the queue to retry an endpoint. */
  deliveriesRetrying: 'DeliveriesRetrying',
  endpointGone: 'EndpointGone',
  deliveryDeadLettered: 'DeliveryDeadLettered',
  malformedMessages: 'MalformedMessages',
  mobileDecryptFailed: 'MobileDecryptFailed',
  /** Lead age at delivery over every endpoint: an alarm cannot SEARCH across the per-endpoint ones. */
  leadAgeSeconds: 'LeadAgeSeconds',
} as const;

/** Every metric, by the name the handlers use. */
export const METRIC = { ...POLLER_METRICS, ...ENDPOINT_METRICS, ...FORWARDER_METRICS } as const;
