import { constants, generateKeyPairSync, publicEncrypt, type KeyObject } from 'node:crypto';
import { generateLeads, startSimulatedGateway, type SampleLead, type SimulatedGateway } from '../simulators/alimama-gateway';
import { formatTopTimestamp } from '../../shared/taobao/timestamp';

/** Leads the demo's gateway holds at start: enough to fill a screen on the first poll. */
export const DEMO_INITIAL_LEADS = 8;
/** A few new leads arrive this often, like a busy landing page. */
export const DEMO_ARRIVAL_MS = 4_000;
const DEMO_MAX_ARRIVALS = 3;

export interface DemoSource {
  gateway: SimulatedGateway;
  /** The merchant key (PEM) the demo's mobiles are encrypted to: a throwaway, made per run. */
  mobilePrivateKey: string;
  stop(): Promise<void>;
}

/**
 * The simulated Alimama gateway (functions/local/simulators/alimama-gateway.ts) seeded with
 * realistic leads, with 1–3 more arriving every DEMO_ARRIVAL_MS. Ids come from the clock
 * (milliseconds), so leads of a later demo run are always above the cursor the state directory
 * kept from an earlier one, and the demo never looks stuck after a restart.
 */
export async function startDemoSource(): Promise<DemoSource> {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let lastId = 0n;
  const nextLeads = (count: number, spacingMs: number): SampleLead[] => {
    const startId = BigInt(Date.now()) > lastId ? BigInt(Date.now()) : lastId + 1n;
    lastId = startId + BigInt(count - 1);
    const now = Date.now();
    // Times are set here rather than generated: the sample leads should read as "just now".
    return generateLeads(count, { startId: startId.toString(), seed: `demo-${startId}` }).map((lead, i) => {
      const at = now - (count - 1 - i) * spacingMs;
      return {
        ...lead,
        mobile: encryptedMobile(key.publicKey, lead.id),
        lead_time: formatTopTimestamp(at),
        gmt_create: at,
        gmt_modified: at,
      };
    });
  };
  const gateway = await startSimulatedGateway({ leads: nextLeads(DEMO_INITIAL_LEADS, 7 * 60_000) });
  const timer = setInterval(
    () => gateway.addLeads(nextLeads(1 + Math.floor(Math.random() * DEMO_MAX_ARRIVALS), 1_000)),
    DEMO_ARRIVAL_MS,
  );
  return {
    gateway,
    mobilePrivateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    stop: async () => {
      clearInterval(timer);
      await gateway.close();
    },
  };
}

/**
 * A made-up mobile (138 and eight digits from the id) encrypted as Alimama does: RSA with
 * PKCS#1 v1.5 padding, Java's default, so the demo shows the forwarder decrypting it.
 */
function encryptedMobile(publicKey: KeyObject, leadId: string): string {
  const mobile = `138${String(BigInt(leadId) % 100_000_000n).padStart(8, '0')}`;
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(mobile)).toString('base64');
}
