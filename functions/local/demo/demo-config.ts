import { SIMULATED_APP_KEY, SIMULATED_APP_SECRET, SIMULATED_SESSION_KEY } from '../simulators/alimama-gateway';

/** The demo polls often so that a newcomer sees leads flow within seconds. */
export const DEMO_POLL_INTERVAL_SECONDS = 5;
export const DEMO_ENDPOINT_NAME = 'demo-inbox';

/**
 * The demo's configuration, in the config file's shape so that it goes through the same
 * validation and wiring as a real one: the simulated gateway's made-up keys, every lead from
 * the start (`startFrom: all`), the local inbox with this run's secret, and this run's key for
 * the encrypted mobiles.
 */
export function demoConfig(
  gatewayUrl: string,
  inbox: { url: string; secret: string },
  mobilePrivateKey: string,
): Record<string, unknown> {
  return {
    top: { appKey: SIMULATED_APP_KEY, appSecret: SIMULATED_APP_SECRET, sessionKey: SIMULATED_SESSION_KEY, gatewayUrl },
    pollIntervalSeconds: DEMO_POLL_INTERVAL_SECONDS,
    startFrom: 'all',
    webhooks: [{ name: DEMO_ENDPOINT_NAME, url: inbox.url, secret: inbox.secret }],
    mobilePrivateKey,
  };
}
