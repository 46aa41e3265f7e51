import type { ConnectorFormat } from '../../shared/domain/settings';
import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  SIMULATED_FEISHU_APP_ID,
  SIMULATED_FEISHU_APP_SECRET,
  startSimulatedBitable,
} from './feishu-bitable';
import {
  LEAD_ID_FIELD,
  SIMULATED_FXIAOKE_APP_ID,
  SIMULATED_FXIAOKE_APP_SECRET,
  SIMULATED_FXIAOKE_OPEN_USER_ID,
  SIMULATED_FXIAOKE_PERMANENT_CODE,
  startSimulatedFxiaoke,
} from './fxiaoke';
import { ALIMAMA_LEAD_ID_PROPERTY, SIMULATED_HUBSPOT_TOKEN, startSimulatedHubSpot } from './hubspot';
import {
  DEFAULT_EXTERNAL_ID_FIELD,
  SIMULATED_SALESFORCE_CLIENT_ID,
  SIMULATED_SALESFORCE_CLIENT_SECRET,
  startSimulatedSalesforce,
} from './salesforce';

/**
 * A CRM simulator started for a dry run of a connector endpoint with `dev --config` (README
 * "Connect your CRM"): what serve.ts prints, and what the README tells the user to paste.
 */
export interface DryRunCrm {
  readonly url: string;
  /** `endpoint(url)` of its vendor. */
  readonly endpoint: Readonly<Record<string, string>>;
  /** Every record created so far, oldest first: the CRM's id for it and the lead id it holds. */
  records(): { recordId: string; leadId: string }[];
  close(): Promise<void>;
}

export interface DryRunVendor {
  /** The CRM's name, as the README's section names it. */
  readonly title: string;
  /** The port the README's command gives; each vendor its own, so two dry runs can run side by side. */
  readonly port: number;
  /** The `webhooks` entry that points the connector at a simulator on `url`, with the simulator's own credentials. */
  endpoint(url: string): Record<string, string>;
  /** Starts the simulator on 127.0.0.1:`port` (0: a free one). */
  start(port: number): Promise<DryRunCrm>;
}

/** The credentials and ids of every simulator are their own constants: the endpoints are fixed but for the url. */
const bitableEndpoint = (url: string): Record<string, string> => ({
  name: 'bitable',
  format: 'feishu-bitable',
  baseUrl: url,
  appId: SIMULATED_FEISHU_APP_ID,
  appSecret: SIMULATED_FEISHU_APP_SECRET,
  appToken: SIMULATED_BITABLE_APP_TOKEN,
  tableId: SIMULATED_BITABLE_TABLE_ID,
});
const salesforceEndpoint = (url: string): Record<string, string> => ({
  name: 'salesforce',
  format: 'salesforce',
  instanceUrl: url,
  clientId: SIMULATED_SALESFORCE_CLIENT_ID,
  clientSecret: SIMULATED_SALESFORCE_CLIENT_SECRET,
  externalIdField: DEFAULT_EXTERNAL_ID_FIELD,
});
const hubspotEndpoint = (url: string): Record<string, string> => ({
  name: 'hubspot',
  format: 'hubspot',
  baseUrl: url,
  token: SIMULATED_HUBSPOT_TOKEN,
  idProperty: ALIMAMA_LEAD_ID_PROPERTY.name,
});
const fxiaokeEndpoint = (url: string): Record<string, string> => ({
  name: 'fxiaoke',
  format: 'fxiaoke',
  baseUrl: url,
  appId: SIMULATED_FXIAOKE_APP_ID,
  appSecret: SIMULATED_FXIAOKE_APP_SECRET,
  permanentCode: SIMULATED_FXIAOKE_PERMANENT_CODE,
  currentOpenUserId: SIMULATED_FXIAOKE_OPEN_USER_ID,
});

/** Every connector's simulator, by `format`: a new connector is a compile error until it has a dry run. */
export const DRY_RUN_VENDORS: Readonly<Record<ConnectorFormat, DryRunVendor>> = {
  'feishu-bitable': {
    title: 'Feishu Bitable',
    port: 8790,
    endpoint: bitableEndpoint,
    async start(port) {
      const sim = await startSimulatedBitable({ port });
      return {
        url: sim.url,
        endpoint: bitableEndpoint(sim.url),
        // The primary column holds the lead id (the default mapping's `线索ID`).
        records: () => sim.records().map((r) => ({ recordId: r.recordId, leadId: String(r.fields['线索ID']) })),
        close: () => sim.close(),
      };
    },
  },
  salesforce: {
    title: 'Salesforce',
    port: 8702,
    endpoint: salesforceEndpoint,
    async start(port) {
      const sim = await startSimulatedSalesforce({ port });
      return {
        url: sim.url,
        endpoint: salesforceEndpoint(sim.url),
        records: () => sim.records.map((r) => ({ recordId: r.id, leadId: String(r.fields[DEFAULT_EXTERNAL_ID_FIELD]) })),
        close: () => sim.close(),
      };
    },
  },
  hubspot: {
    title: 'HubSpot',
    port: 8703,
    endpoint: hubspotEndpoint,
    async start(port) {
      const sim = await startSimulatedHubSpot({ port });
      return {
        url: sim.url,
        endpoint: hubspotEndpoint(sim.url),
        records: () => sim.records().map((r) => ({ recordId: r.id, leadId: r.properties[ALIMAMA_LEAD_ID_PROPERTY.name] ?? '' })),
        close: () => sim.close(),
      };
    },
  },
  fxiaoke: {
    title: '纷享销客',
    port: 8701,
    endpoint: fxiaokeEndpoint,
    async start(port) {
      const sim = await startSimulatedFxiaoke({ port });
      return {
        url: sim.url,
        endpoint: fxiaokeEndpoint(sim.url),
        records: () => sim.records.map((r) => ({ recordId: r.dataId, leadId: String(r.fields[LEAD_ID_FIELD]) })),
        close: () => sim.close(),
      };
    },
  },
};
