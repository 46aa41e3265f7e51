import { resolve } from 'node:path';
import { ConfigFileTooLarge, loadConfigFile, readText, unsignedWarnings } from '../../local/runner/config-file';
import { parseForwarderSettings, parseJsonSetting } from '../../shared/config/parse-settings';
import { validatePrivateKey } from '../../shared/mobile/private-key';
import { ConfigError, errorCode } from '../../shared/domain/errors';
import type { Endpoint } from '../../shared/domain/settings';
import { MAX_PARAMETER_BYTES } from '../../shared/config/stack-contract';
import { defineCommand, type Command } from '../command';
import { UsageError } from '../errors';
import type { Io } from '../io';
import { awsTarget } from '../targets/aws-target';
import { previewRequest, wantsPreview } from '../request-preview';
import { testDelivery } from '../test-lead';
import { proveCredentials } from '../connector-credentials';
import { createDispatcher } from '../../shared/webhook/sender';

const HELP = `Usage: lead-forwarder check (--config FILE | --webhooks FILE | --stack NAME [--region R]) [--online]

Checks a configuration with this version's rules and lists every problem at once, without
starting, sending or changing anything. Run it before \`dev --config\`, before passing a Webhooks
value to \`cdk deploy\`, and before deploying a new version over a running stack: the new
forwarder refuses what these rules refuse, and would deliver nothing until the value is fixed.

  --config FILE     a config file for \`lead-forwarder dev\`
  --webhooks FILE   the JSON list for the stack's Webhooks parameter
  --stack NAME      what a deployed stack holds: its Webhooks, TOP secrets and parameters,
                    and MobilePrivateKey
    --region R      its region (default: AWS_REGION / your AWS profile)
  --online          also prove each CRM connector's credentials: fetch a token from the
                    vendor (or make one authenticated read), and nothing else: no record

Exit 0 when it can be used (warnings are printed), 1 when it cannot, 2 for bad usage.`;

/** One thing checked: what it is, and its webhooks when it could be read and is valid. */
interface Checked {
  what: string;
  problems: readonly string[];
  webhooks?: Endpoint[];
  /** What the endpoints with expressions or auth would send for a sample lead (credentials masked). */
  previews?: string[];
  /** Said instead of "ok" when there is nothing to check. */
  note?: string;
  /** Printed under "ok": the value works, but not everywhere. */
  warnings?: string[];
}

export const checkCommand: Command = defineCommand({
  name: 'check',
  summary: "check a config file, a Webhooks value or a deployed stack against this version's rules",
  help: HELP,
  flags: {
    config: { type: 'string' },
    webhooks: { type: 'string' },
    stack: { type: 'string' },
    region: { type: 'string' },
    online: { type: 'boolean' },
  },
  async run(flags, io) {
    const chosen = (['config', 'webhooks', 'stack'] as const).filter((flag) => flags[flag] !== undefined);
    if (chosen.length !== 1)
      throw new UsageError(
        chosen.length === 0
          ? 'say what to check: --config FILE, --webhooks FILE or --stack NAME'
          : `check one thing at a time (--${chosen.join(' and --')} given)`,
        'check',
      );
    if (flags.region !== undefined && flags.stack === undefined) throw new UsageError('--region goes with --stack', 'check');
    for (const flag of chosen) if (flags[flag] === '') throw new UsageError(`--${flag} needs a value`, 'check');

    const checked =
      flags.config !== undefined
        ? [await checkConfigFile(flags.config)]
        : flags.webhooks !== undefined
          ? [await checkWebhooksFile(flags.webhooks)]
          : await checkStack(flags.stack!, flags.region);
    const status = report(checked, io);
    if (flags.online !== true) return status;
    return (await proveOnline(checked, io)) ? status : 1;
  },
});

/** `--online`: each valid connector endpoint's credentials, proved against the vendor. */
async function proveOnline(checked: Checked[], io: Io): Promise<boolean> {
  const connectors = checked.flatMap((c) => c.webhooks ?? []).filter((endpoint) => endpoint.connector !== undefined);
  if (connectors.length === 0) {
    io.out('online: no CRM connector to prove');
    return true;
  }
  const dispatcher = createDispatcher();
  try {
    const results = await Promise.all(connectors.map((endpoint) => proveCredentials(dispatcher, endpoint)));
    io.out('online:');
    for (const { line } of results) io.out(`  ${line}`);
    return results.every((r) => r.ok);
  } finally {
    await dispatcher.close();
  }
}

function checkConfigFile(file: string): Promise<Checked> {
  return checked(`config file ${resolve(file)}`, async () => (await loadConfigFile(file)).settings.webhooks);
}

async function checkWebhooksFile(file: string): Promise<Checked> {
  const path = resolve(file);
  const what = `Webhooks value in ${path}`;
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    if (error instanceof ConfigFileTooLarge)
      return {
        what,
        problems: [`${path} is larger than 1 MB, which no Webhooks value is (a few KB): check the --webhooks path`],
      };
    return { what, problems: [`cannot read ${path} (${errorCode(error) ?? 'unreadable'}): check the --webhooks path`] };
  }
  // As the forwarder reads the parameter: a byte order mark is refused there too.
  const result = await checked(what, () => parseForwarderSettings({ webhooks: parseJsonSetting('Webhooks', text) }).webhooks);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_PARAMETER_BYTES) return result;
  return {
    ...result,
    warnings: [
      `warning: this value is ${bytes} bytes, more than the ${MAX_PARAMETER_BYTES} a CloudFormation parameter holds, so it cannot be passed as Webhooks: ` +
        'store it in a Secrets Manager secret of your own and pass its ARN as ExternalWebhooksSecretArn (README: "Larger Webhooks values")',
    ],
  };
}

/** A deployed stack's values, read with the operator's credentials, checked as its functions would. */
async function checkStack(name: string, region: string | undefined): Promise<Checked[]> {
  const target = await awsTarget(name, region);
  const on = target.description;
  const key = await target.mobilePrivateKey();
  return [
    await checked(`Webhooks of ${on}`, () => target.endpoints()),
    await checked(`TOP settings of ${on}`, async () => void (await target.top())),
    key === undefined
      ? { what: `MobilePrivateKey of ${on}`, problems: [], note: 'not set (mobiles are forwarded encrypted)' }
      : await checked(`MobilePrivateKey of ${on}`, () => {
          const problem = validatePrivateKey(key);
          if (problem !== undefined) throw new ConfigError([`MobilePrivateKey ${problem}`]);
        }),
  ];
}

/** Runs one check: a ConfigError is its list of problems; anything else (unreadable, refused) stops the command. */
async function checked(what: string, check: () => Endpoint[] | void | Promise<Endpoint[] | void>): Promise<Checked> {
  try {
    const webhooks = await check();
    return { what, problems: [], ...(webhooks === undefined ? {} : { webhooks, previews: await previews(webhooks) }) };
  } catch (error) {
    if (error instanceof ConfigError) return { what, problems: error.problems };
    throw error;
  }
}

async function previews(webhooks: Endpoint[]): Promise<string[]> {
  const sample = testDelivery();
  const now = new Date();
  const lines = await Promise.all(webhooks.filter(wantsPreview).map((endpoint) => previewRequest(endpoint, sample, now)));
  return lines.flat();
}

function report(checked: Checked[], io: Io): number {
  for (const { what, problems, webhooks, previews, note, warnings } of checked) {
    if (problems.length > 0) {
      io.out(`${what}: ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}`);
      for (const problem of problems) io.out(`  - ${problem}`);
      continue;
    }
    if (webhooks === undefined) io.out(`${what}: ${note ?? 'ok'}`);
    else
      io.out(
        `${what}: ok, ${webhooks.length === 1 ? '1 webhook' : `${webhooks.length} webhooks`} (${webhooks.map((w) => `${w.name}: ${w.format}`).join(', ')})`,
      );
    if (webhooks !== undefined) for (const warning of unsignedWarnings({ webhooks })) io.out(`  ${warning}`);
    for (const warning of warnings ?? []) io.out(`  ${warning}`);
    for (const line of previews ?? []) io.out(`  ${line}`);
  }
  return checked.every((c) => c.problems.length === 0) ? 0 : 1;
}
