import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import {
  startSimulatedGateway,
  type SampleLead,
  type SimulatedGateway,
} from '../../../functions/local/simulators/alimama-gateway';
import { startReceiver, type Answer, type ReceivedRequest, type Receiver } from '../../support/receiver';
import { writeJson } from './cli-process';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A simulated gateway and named webhook receivers, and the config file that wires them. */
export interface Fixture {
  gateway: SimulatedGateway;
  receivers: Record<string, Receiver>;
  /** Writes a config for the given endpoints (default: every receiver) and returns its path. */
  writeConfig(name: string, endpoints?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startFixture(
  dir: string,
  leads: SampleLead[],
  answers: Record<string, (n: number, request: ReceivedRequest) => Answer>,
): Promise<Fixture> {
  const gateway = await startSimulatedGateway({ leads });
  const receivers: Record<string, Receiver> = {};
  for (const [name, answer] of Object.entries(answers)) receivers[name] = await startReceiver(answer);
  return {
    gateway,
    receivers,
    writeConfig: (name, endpoints = Object.keys(receivers)) =>
      writeJson(join(dir, `${name}.json`), {
        top: {
          appKey: gateway.appKey,
          appSecret: gateway.appSecret,
          sessionKey: gateway.sessionKey,
          gatewayUrl: gateway.url,
          pageSize: 10,
        },
        startFrom: 'all',
        webhooks: endpoints.map((endpoint) => ({ name: endpoint, url: receivers[endpoint]!.url, secret: SECRET })),
      }),
    close: async () => {
      await Promise.all(Object.values(receivers).map((r) => r.close()));
      await gateway.close();
    },
  };
}

/** Throws unless the request carries a valid Standard Webhooks signature (checked with the reference library). */
export function assertSigned(request: ReceivedRequest): void {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[key] = value;
  new Webhook(SECRET).verify(request.body, headers);
}

export function leadIdOf(request: ReceivedRequest): string {
  const json = request.json as { data?: { id?: unknown } } | undefined;
  return String(json?.data?.id);
}

export function sortIds(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}
