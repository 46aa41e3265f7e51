import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  type SimulatedBitable,
} from '../../functions/local/simulators/feishu-bitable';

/** A `feishu-bitable` endpoint as an operator writes it in Webhooks, pointed at the simulator's default table. */
export function bitableEndpoint(sim: SimulatedBitable): Record<string, unknown> & { name: string } {
  return {
    name: 'bitable',
    format: 'feishu-bitable',
    baseUrl: sim.url,
    appId: sim.appId,
    appSecret: sim.appSecret,
    appToken: SIMULATED_BITABLE_APP_TOKEN,
    tableId: SIMULATED_BITABLE_TABLE_ID,
  };
}
