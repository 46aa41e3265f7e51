import { spawnSync } from 'node:child_process';
import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { SIDE_MODULE } from '../../infra/bundling';
import { LeadForwarderStack } from '../../infra/stack';
import { functions, props, STACK_NAME, type CfnResource, type CfnTemplate } from './support';

/**
 * The assets as `cdk deploy` uploads them: the stack synthesized with NodejsFunction's own
 * bundling (its esbuild command line and after-bundling hook), which the other infra tests skip
 * and the bundle test reproduces through esbuild's JS API.
 */

let outdir: string;
const assetDir: Record<'poller' | 'forwarder', string> = { poller: '', forwarder: '' };

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'lead-forwarder-assets-'));
  const app = new App({ outdir });
  const stack = new LeadForwarderStack(app, STACK_NAME);
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  for (const [name, [, fn]] of Object.entries(functions(template)) as ['poller' | 'forwarder', [string, CfnResource]][]) {
    const key = (props(fn).Code as { S3Key: string }).S3Key;
    assetDir[name] = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  }
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const read = (name: 'poller' | 'forwarder', file: string): string => readFileSync(path.join(assetDir[name], file), 'utf8');

describe('the deployed assets, as NodejsFunction builds them', () => {
  it("are one bundle and its source map per function, and the forwarder's side module beside its bundle", () => {
    expect(readdirSync(assetDir.poller).sort()).toEqual(['index.js', 'index.js.map']);
    expect(readdirSync(assetDir.forwarder).sort()).toEqual([
      'index.js',
      'index.js.map',
      SIDE_MODULE.file,
      `${SIDE_MODULE.file}.map`,
    ]);
  });

  it("bundle each function with the SDK's environment-variable credentials in place of its default chain", () => {
    for (const name of ['poller', 'forwarder'] as const) {
      const bundle = read(name, 'index.js');
      expect(bundle).toContain('Unable to find environment variable credentials.');
      expect(bundle).not.toContain('defaultProvider::fromSSO');
    }
  });

  it("put node-forge (PKCS#1 v1.5 mobiles) beside the forwarder's bundle only, as a module that decrypts PKCS#1 v1.5", () => {
    // node-forge's own error text for a bad PKCS#1 v1.5 block: in the side module, in neither bundle.
    const forgeMarker = 'Encryption block is invalid.';
    expect(read('forwarder', SIDE_MODULE.file)).toContain(forgeMarker);
    expect(read('forwarder', 'index.js')).not.toContain(forgeMarker);
    expect(read('poller', 'index.js')).not.toContain(forgeMarker);
    expect(read('forwarder', 'index.js')).toContain(`require("${SIDE_MODULE.importPath}")`);

    const side = path.join(assetDir.forwarder, SIDE_MODULE.file);
    const key = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ciphertext = publicEncrypt(
      { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from('13800138000'),
    ).toString('base64');
    const script = `const { createPkcs1Decrypt } = require(process.argv[1]);
const { createPrivateKey } = require('node:crypto');
const decrypt = createPkcs1Decrypt(createPrivateKey(process.argv[2]));
process.stdout.write(decrypt(Buffer.from(process.argv[3], 'base64')).toString('utf8'));`;
    const run = spawnSync(
      process.execPath,
      ['-e', script, side, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ciphertext],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('13800138000');
  });
});
