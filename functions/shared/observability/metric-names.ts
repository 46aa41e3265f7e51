/**
 * The custom metrics the functions emit (EMF, through Powertools Metrics), in one dependency-free module so that
 * the stack's alarms and dashboard (infra/) and the handlers name them from the same place.
 * Every metric carries the dimension `service` (the stack name, so several stacks in one account
 * never mix their numbers); per-endpoint delivery metrics add `endpoint` (the endpoint's name).
 */

export const METRICS_NAMESPACE = 'LeadForwarder';
export const SERVICE_DIMENSION = 'service';
export const ENDPOINT_DIMENSION = 'endpoint';

/**
 * An idle poll (no new lead) publishes none of these: CloudWatch bills a custom metric for every
 * hour it receives a value (infra/cost). That the poller runs and how long it takes are Lambda's
 * own (free) Invocations and Duration; a successful poll is one that is not a Lambda error and
 * not stopped by a ban (the NeedsOperator cause `no-successful-poll` covers those that persist).
 */
export const POLLER_METRICS = {
  pollFailed: 'PollFailed',
  /** Rows read, only by a poll that found something new (an idle poll's re-read of the newest page is not news). */
  leadsFetched: 'LeadsFetched',
  leadsEnqueued: 'LeadsEnqueued',
  leadsRejected: 'LeadsRejected',
  /** TOP codes 26/27/11: the merchant must re-authorize (or the IP whitelist is wrong). */
  topAuthFailure: 'TopAuthFailure',
  topRateLimited: 'TopRateLimited',
  /**
   * Seconds since the cursor was last brought up to date, by a poll that ended behind it (a
   * backlog cut by the deadline, or a ban). A poll that completes its scan brings it up to date
   * (0), so it publishes none: no line on the dashboard means the cursor is current.
   */
  cursorLagSeconds: 'CursorLagSeconds',
} as const;

/**
 * Emitted by either function, with the dimension service only: one count for every cause an
 * operator must act on (functions/shared/observability/needs-operator.ts), which one alarm reads.
 */
export const OPERATOR_METRICS = {
  needsOperator: 'NeedsOperator',
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
export const METRIC = { ...POLLER_METRICS, ...ENDPOINT_METRICS, ...FORWARDER_METRICS, ...OPERATOR_METRICS } as const;
