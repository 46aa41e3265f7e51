import {
  SIMULATED_BITABLE_APP_TOKEN,
  SIMULATED_BITABLE_TABLE_ID,
  SIMULATED_FEISHU_APP_ID,
  SIMULATED_FEISHU_APP_SECRET,
  startSimulatedBitable,
} from './feishu-bitable';

/**
 * The simulated Feishu Bitable on a fixed port, for a dry run of a `feishu-bitable` endpoint
 * with `dev --config` (README "Connect your CRM"): `node functions/cli/tsx.cjs
 * functions/local/simulators/feishu-bitable-serve.ts [port]`. It prints the endpoint to paste
 * and one line per record created (record id and the primary column, never the other values).
 */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 8790);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`port must be 1-65535, got ${process.argv[2]}`);
  const sim = await startSimulatedBitable({ port });
  const endpoint = {
    name: 'bitable',
    format: 'feishu-bitable',
    baseUrl: sim.url,
    appId: SIMULATED_FEISHU_APP_ID,
    appSecret: SIMULATED_FEISHU_APP_SECRET,
    appToken: SIMULATED_BITABLE_APP_TOKEN,
    tableId: SIMULATED_BITABLE_TABLE_ID,
  };
  process.stdout.write(`simulated Feishu Bitable on ${sim.url}; endpoint:\n${JSON.stringify(endpoint)}\n`);
  let shown = 0;
  const timer = setInterval(() => {
    for (const record of sim.records().slice(shown))
      process.stdout.write(`record ${record.recordId} ${String(record.fields['线索ID'])}\n`);
    shown = sim.records().length;
  }, 500);
  process.once('SIGINT', () => {
    clearInterval(timer);
    void sim.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
