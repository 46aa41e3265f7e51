/**
 * The benchmark's "remote side" in its own process: dynalite, fauxqs, the local Secrets
 * Manager, simulated Alimama gateways and webhook receivers. In production all of these run on
 * other machines; sharing the benchmark's event loop with them would charge their CPU (dynalite
 * alone took ~20% of a single-process run) to the code under test. Driven by servers.ts over
 * IPC; loopback only.
 */
import { startLocalSecretsManager } from '../../functions/local/emulators/secrets-server';
import { generateLeads, startSimulatedGateway, type SimulatedGateway } from '../../functions/local/simulators/alimama-gateway';
import { startDynalite } from '../support/local-aws';
import { startReceiver, type Receiver } from '../support/receiver';

export type ServicesRequest =
  | { id: number; op: 'gateway'; count: number; startId: string; seed: string; latencyMs: number }
  | { id: number; op: 'close-gateway'; url: string }
  | { id: number; op: 'receivers'; count: number; delayMs: number }
  | { id: number; op: 'accepted'; urls: string[] }
  | { id: number; op: 'close-receivers'; urls: string[] }
  | { id: number; op: 'secret'; arn: string; value: string }
  | { id: number; op: 'shutdown' };

/** A request without its id (the client numbers them). */
export type ServicesCall = WithoutId<ServicesRequest>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface GatewayInfo {
  url: string;
  appKey: string;
  appSecret: string;
  sessionKey: string;
}

export interface ServicesReady {
  type: 'ready';
  dynamoEndpoint: string;
  sqsEndpoint: string;
  secretsEndpoint: string;
}

export type ServicesReply =
  | ServicesReady
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

/** Per receiver: every 2xx answered, and how many distinct leads that was. */
export interface AcceptedCount {
  url: string;
  accepted: number;
  unique: number;
  requests: number;
}

async function main(): Promise<void> {
  const { startFauxqs } = await import('fauxqs');
  const fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const dynamo = await startDynalite();
  const secrets = await startLocalSecretsManager();
  const gateways = new Map<string, SimulatedGateway>();
  const receivers = new Map<string, Receiver>();
  const send = (reply: ServicesReply): void => void process.send?.(reply);

  const handle = async (request: ServicesRequest): Promise<unknown> => {
    switch (request.op) {
      case 'gateway': {
        const gateway = await startSimulatedGateway({
          leads: generateLeads(request.count, { startId: request.startId, maxIdGap: 2, seed: request.seed }),
          latencyMs: request.latencyMs,
        });
        gateways.set(gateway.url, gateway);
        return {
          url: gateway.url,
          appKey: gateway.appKey,
          appSecret: gateway.appSecret,
          sessionKey: gateway.sessionKey,
        } satisfies GatewayInfo;
      }
      case 'close-gateway':
        await gateways.get(request.url)?.close();
        gateways.delete(request.url);
        return null;
      case 'receivers': {
        const urls: string[] = [];
        for (let i = 0; i < request.count; i += 1) {
          const receiver = await startReceiver(() =>
            request.delayMs > 0 ? { status: 200, delayMs: request.delayMs } : { status: 200 },
          );
          receivers.set(receiver.url, receiver);
          urls.push(receiver.url);
        }
        return urls;
      }
      case 'accepted':
        return request.urls.map((url): AcceptedCount => {
          const r = receivers.get(url);
          return {
            url,
            accepted: r?.accepted.length ?? 0,
            unique: new Set(r?.accepted ?? []).size,
            requests: r?.requests.length ?? 0,
          };
        });
      case 'close-receivers':
        await Promise.all(request.urls.map((url) => receivers.get(url)?.close() ?? Promise.resolve()));
        for (const url of request.urls) receivers.delete(url);
        return null;
      case 'secret':
        secrets.set(request.arn, request.value);
        return null;
      case 'shutdown':
        await Promise.all([...gateways.values()].map((g) => g.close()));
        await Promise.all([...receivers.values()].map((r) => r.close()));
        await secrets.close();
        await dynamo.close();
        await fauxqs.stop();
        setImmediate(() => process.exit(0));
        return null;
    }
  };

  process.on('message', (request: ServicesRequest) => {
    handle(request).then(
      (value) => send({ type: 'reply', id: request.id, ok: true, value }),
      (error: unknown) =>
        send({ type: 'reply', id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // Never outlive the benchmark.
  process.on('disconnect', () => process.exit(0));
  send({
    type: 'ready',
    dynamoEndpoint: dynamo.endpoint,
    sqsEndpoint: `http://127.0.0.1:${fauxqs.port}`,
    secretsEndpoint: secrets.endpoint,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench services failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
