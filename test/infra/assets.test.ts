import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { LeadForwarderStack } from '../../infra/stack';
import { functions, props, STACK_NAME, type CfnResource, type CfnTemplate } from './support';

/**
 * The assets as `cdk deploy` uploads them: the stack synthesized with NodejsFunction's own
 * bundling (its esbuild command line), which the other infra tests skip and the bundle test
 * reproduces through esbuild's JS API.
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
  it('are one bundle and its source map per function', () => {
    for (const name of ['poller', 'forwarder'] as const)
      expect(readdirSync(assetDir[name]).sort()).toEqual(['index.js', 'index.js.map']);
  });

  it("bundle each function with the SDK's environment-variable credentials in place of its default chain", () => {
    for (const name of ['poller', 'forwarder'] as const) {
      const bundle = read(name, 'index.js');
      expect(bundle).toContain('Unable to find environment variable credentials.');
      expect(bundle).not.toContain('defaultProvider::fromSSO');
    }
  });

  it("carry node-forge (PKCS#1 v1.5 mobiles) in the forwarder's bundle only", () => {
    // node-forge's own error text for a bad PKCS#1 v1.5 block; the bundle test decrypts such mobiles with this bundle.
    const forgeMarker = 'Encryption block is invalid.';
    expect(read('forwarder', 'index.js')).toContain(forgeMarker);
    expect(read('poller', 'index.js')).not.toContain(forgeMarker);
  });
});
