import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseJsonSetting, parseSettings } from '../../shared/config/parse-settings';
import { ConfigError, errorCode, LeadForwarderError } from '../../shared/domain/errors';
import { isRecord } from '../../shared/domain/is-record';
import type { Settings } from '../../shared/domain/settings';

/** A validated configuration and the object it came from (the handlers get their secrets from it verbatim). */
export interface LoadedConfig {
  settings: Settings;
  raw: Record<string, unknown>;
  /** Absolute path, or undefined for the built-in demo. */
  path?: string;
}

/**
 * Reads and validates a config file (DESIGN §4 keys). Every problem — unreadable, not JSON, or
 * each invalid setting — comes out as one ConfigError, before anything is started.
 */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    if (error instanceof ConfigFileTooLarge)
      throw new ConfigError([
        `the config file ${path} is larger than 1 MB, which no configuration is (a few KB): check the --config path`,
      ]);
    throw new ConfigError([`cannot read the config file ${path} (${errorCode(error) ?? 'unreadable'}): check the --config path`]);
  }
  // Bad JSON is located by line and column; the text, which holds secrets, is never quoted.
  const raw = parseJsonSetting(`the config file ${path}`, withoutByteOrderMark(text));
  return { ...fromObject(raw), path };
}

/** Far more than any configuration: a larger file is something else (a log, a disk image, /dev/zero). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export class ConfigFileTooLarge extends LeadForwarderError {
  override readonly name: string = 'ConfigFileTooLarge';
}

/** A file's UTF-8 text, read only up to MAX_CONFIG_BYTES (a device like /dev/zero has no size to check first). */
export async function readText(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CONFIG_BYTES) throw new ConfigFileTooLarge(`larger than ${MAX_CONFIG_BYTES} bytes`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await file.close();
  }
}

/**
 * The file's text without the UTF-8 byte order mark that Windows editors (Notepad, PowerShell's
 * `Set-Content -Encoding utf8`) write first. It marks the file's encoding, not its content, and
 * readFile keeps it where JSON.parse refuses it. Only one is dropped: a second is in the text.
 */
function withoutByteOrderMark(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** Validates a configuration object (the demo builds one in memory). */
export function fromObject(raw: unknown): { settings: Settings; raw: Record<string, unknown> } {
  const settings = parseSettings(raw);
  // parseSettings accepts only an object, so this holds once it returned.
  return { settings, raw: isRecord(raw) ? raw : {} };
}

/**
 * One warning per endpoint whose deliveries go out unsigned although its format could sign them
 * (DESIGN §6: the runner warns at start). WeCom robots never sign, so they get none; nor do CRM
 * connectors, which authenticate with their own credentials.
 */
export function unsignedWarnings(settings: Pick<Settings, 'webhooks'>): string[] {
  return settings.webhooks
    .filter((endpoint) => endpoint.secrets.length === 0 && endpoint.format !== 'wecom' && endpoint.connector === undefined)
    .map((endpoint) =>
      endpoint.format === 'standard' || endpoint.format === 'http'
        ? `warning: webhook "${endpoint.name}" has no secret, so its deliveries go out without a webhook-signature; add "secret": "whsec_…" to sign them`
        : `warning: webhook "${endpoint.name}" (${endpoint.format}) has no secret, so its messages go out unsigned; if the robot's security setting is signing (加签), add its "secret"`,
    );
}
