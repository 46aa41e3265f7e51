import { CONNECTOR_FORMATS, type ConnectorFormat } from '../../shared/domain/settings';
import { DRY_RUN_VENDORS } from './dry-run';

/**
 * A CRM simulator on a fixed port, for a dry run of a connector endpoint with `dev --config`
 * (README "Connect your CRM"):
 *
 *   node functions/cli/tsx.cjs functions/local/simulators/serve.ts <format> [port]
 *
 * `<format>` is the connector's (`feishu-bitable`, `salesforce`, `hubspot`, `fxiaoke`); the port
 * defaults to that vendor's own (0: a free one). It prints the endpoint to paste, with the
 * simulator's own credentials, and one line per record created (the CRM's record id and the lead
 * id, never the other values). Ctrl-C stops it; the records are not kept.
 */

/** The command line is wrong: the usage goes with the message. */
class ServeUsageError extends Error {
  override readonly name = 'ServeUsageError';
}

const USAGE = `usage: node functions/cli/tsx.cjs functions/local/simulators/serve.ts <${CONNECTOR_FORMATS.join('|')}> [port]`;

function isFormat(value: string | undefined): value is ConnectorFormat {
  return CONNECTOR_FORMATS.some((format) => format === value);
}

async function main(): Promise<void> {
  const [format, portArg] = process.argv.slice(2);
  if (!isFormat(format)) throw new ServeUsageError(`no simulator for ${JSON.stringify(format ?? '')}\n${USAGE}`);
  const vendor = DRY_RUN_VENDORS[format];
  const port = portArg === undefined ? vendor.port : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ServeUsageError(`port must be 0-65535, got ${portArg}\n${USAGE}`);
  const crm = await vendor.start(port);
  process.stdout.write(`simulated ${vendor.title} on ${crm.url}; endpoint:\n${JSON.stringify(crm.endpoint)}\n`);
  let shown = 0;
  // The simulators keep their records in memory; polling them keeps the simulators unaware of this script.
  const timer = setInterval(() => {
    const records = crm.records();
    for (const record of records.slice(shown)) process.stdout.write(`record ${record.recordId} (lead ${record.leadId})\n`);
    shown = records.length;
  }, 500);
  const stop = (): void => {
    clearInterval(timer);
    void crm.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof ServeUsageError ? 2 : 1;
});
