import { ConfigError } from '../domain/errors';
import { ENV } from './stack-contract';

/**
 * Reads the environment the stack sets into what each handler needs, naming every missing
 * variable at once. The variable names are the stack contract's ENV (stack-contract.ts), which
 * infra/ sets; they are re-exported for the code that builds a handler's environment itself.
 */
export { ENV };

type Env = Record<string, string | undefined>;

export interface PollerEnvironment {
  table: string;
  queueUrl: string;
  appSecretArn: string;
  sessionKeyArn: string;
  /** Non-secret settings, still to be validated with the secrets by parsePollerSettings. */
  top: { appKey?: string; gatewayUrl?: string; signMethod?: string; pageSize?: string };
  startFrom?: string;
  pollIntervalSeconds?: string;
  /** Where the scheduled poll fans out a sub-minute schedule's ticks; absent: no fan-out. */
  tickQueueUrl?: string;
}

export interface ForwarderEnvironment {
  table: string;
  queueUrl: string;
  dlqUrl: string;
  maxReceiveCount: number;
  /** The leads queue's MessageRetentionPeriod: a lead must be parked before SQS drops it. */
  leadsRetentionSeconds: number;
  webhooksSecretArn: string;
  /** Absent when no private key is configured. */
  mobilePrivateKeySecretArn?: string;
}

export function readPollerEnvironment(env: Env): PollerEnvironment {
  const problems: string[] = [];
  const need = (name: string): string => required(env, name, problems);
  const result: PollerEnvironment = {
    table: need(ENV.stateTable),
    queueUrl: need(ENV.leadsQueueUrl),
    appSecretArn: need(ENV.topAppSecretArn),
    sessionKeyArn: need(ENV.topSessionKeyArn),
    top: dropEmpty({
      appKey: env[ENV.topAppKey],
      gatewayUrl: env[ENV.topGatewayUrl],
      signMethod: env[ENV.topSignMethod],
      pageSize: env[ENV.pageSize],
    }),
    ...dropEmpty({
      startFrom: env[ENV.startFrom],
      pollIntervalSeconds: env[ENV.pollIntervalSeconds],
      tickQueueUrl: env[ENV.tickQueueUrl],
    }),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

export function readForwarderEnvironment(env: Env): ForwarderEnvironment {
  const problems: string[] = [];
  const need = (name: string): string => required(env, name, problems);
  const maxReceiveCount = Number(env[ENV.maxReceiveCount]);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)
    problems.push(`${ENV.maxReceiveCount} must be a positive whole number (the leads queue's redrive maxReceiveCount)`);
  const leadsRetentionSeconds = Number(env[ENV.leadsRetentionSeconds]);
  if (!Number.isInteger(leadsRetentionSeconds) || leadsRetentionSeconds < 60)
    problems.push(
      `${ENV.leadsRetentionSeconds} must be a whole number of seconds, at least 60 (the leads queue's MessageRetentionPeriod)`,
    );
  const result: ForwarderEnvironment = {
    table: need(ENV.stateTable),
    queueUrl: need(ENV.leadsQueueUrl),
    dlqUrl: need(ENV.dlqUrl),
    maxReceiveCount,
    leadsRetentionSeconds,
    webhooksSecretArn: need(ENV.webhooksSecretArn),
    ...dropEmpty({ mobilePrivateKeySecretArn: env[ENV.mobilePrivateKeySecretArn] }),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

function required(env: Env, name: string, problems: string[]): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    problems.push(`environment variable ${name} is not set (the stack sets it; locally the runner does)`);
    return '';
  }
  return value;
}

function dropEmpty<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  const out: { [K in keyof T]?: string } = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') out[key as keyof T] = value;
  return out;
}
