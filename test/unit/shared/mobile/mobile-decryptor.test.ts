import { constants, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PrivateKeyError, createMobileDecryptor, validatePrivateKey } from '../../../../functions/shared/mobile/mobile-decryptor';
import { sign } from '../../../../functions/shared/webhook/signature';
import { renderRequest } from '../../../../functions/shared/webhook/formats';
import { classify } from '../../../../functions/forwarder/outcome';

const MOBILE = '13912345678';

// RSA-1024, as Alimama uses (128-byte ciphertexts). Generated once per file: key generation is the slow part.
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const other = generateKeyPairSync('rsa', { modulusLength: 1024 });
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

function oaep(text: string, key: KeyObject = publicKey): string {
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(text)).toString(
    'base64',
  );
}

/** Node still allows PKCS#1 v1.5 *encryption*; only decryption is refused. */
function pkcs1v15(text: string, key: KeyObject = publicKey): string {
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(text)).toString('base64');
}

describe('createMobileDecryptor', () => {
  it('decrypts RSA-OAEP (SHA-1) and PKCS#1 v1.5 ciphertexts with a PKCS#8 key', () => {
    const decrypt = createMobileDecryptor(pkcs8);
    expect(decrypt(oaep(MOBILE))).toBe(MOBILE);
    expect(decrypt(pkcs1v15(MOBILE))).toBe(MOBILE);
  });

  it('accepts a PKCS#1 ("RSA PRIVATE KEY") PEM', () => {
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    const decrypt = createMobileDecryptor(pkcs1);
    expect(decrypt(oaep(MOBILE))).toBe(MOBILE);
    expect(decrypt(pkcs1v15(MOBILE))).toBe(MOBILE);
  });

  it('decrypts a PKCS#1 v1.5 ciphertext made by node-forge, as a Java sender would produce', () => {
    const forgePublic = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const ciphertext = Buffer.from(forgePublic.encrypt('+86 139-1234-5678', 'RSAES-PKCS1-V1_5'), 'binary').toString('base64');
    expect(createMobileDecryptor(pkcs8)(ciphertext)).toBe('+86 139-1234-5678');
  });

  it('accepts a PEM with literal \\n escapes or flattened onto one line, as pasted into a parameter', () => {
    expect(createMobileDecryptor(pkcs8.replace(/\n/g, '\\n'))(oaep(MOBILE))).toBe(MOBILE);
    expect(createMobileDecryptor(pkcs1.replace(/\n/g, ' '))(pkcs1v15(MOBILE))).toBe(MOBILE);
  });

  it('reads base64 wrapped in lines (MIME encoders) or in the URL-safe alphabet, with or without padding', () => {
    const decrypt = createMobileDecryptor(pkcs8);
    const text = oaep(MOBILE);
    const wrapped = text.replace(/(.{76})/g, '$1\r\n');
    expect(wrapped).toContain('\r\n');
    expect(decrypt(wrapped)).toBe(MOBILE);
    const urlSafe = pkcs1v15(MOBILE).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(decrypt(urlSafe)).toBe(MOBILE);
  });

  it('returns undefined for a ciphertext made for another key', () => {
    const decrypt = createMobileDecryptor(pkcs8);
    // Many tries: a wrong-key PKCS#1 v1.5 decryption occasionally passes the padding check.
    for (let i = 0; i < 10; i += 1) {
      expect(decrypt(oaep(MOBILE, other.publicKey))).toBeUndefined();
      expect(decrypt(pkcs1v15(MOBILE, other.publicKey))).toBeUndefined();
    }
  });

  it.each([
    ['empty', ''],
    ['not base64', 'Pci/6KXf…!'],
    ['too short', randomBytes(64).toString('base64')],
    ['random bytes of the right size', randomBytes(128).toString('base64')],
    ['a plain phone number', MOBILE],
  ])('returns undefined for %s', (_case, input) => {
    expect(createMobileDecryptor(pkcs8)(input)).toBeUndefined();
  });
});

describe('validatePrivateKey', () => {
  it('accepts PKCS#8 and PKCS#1 RSA keys', () => {
    expect(validatePrivateKey(pkcs8)).toBeUndefined();
    expect(validatePrivateKey(pkcs1)).toBeUndefined();
  });

  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
  const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const damaged = pkcs8.replace(/[A-Za-z]{10}/, 'AAAAAAAAAA');

  it.each([
    ['text that is no PEM', 'not a key', /not a PEM private key/],
    ['a public key', spki, /public key/],
    ['a passphrase-protected key', encrypted, /encrypted/],
    ['an EC key', ec, /ec key/],
    ['a damaged key', damaged, /not a valid/],
  ])('reports %s, and createMobileDecryptor throws PrivateKeyError', (_case, pem, problem) => {
    expect(validatePrivateKey(pem)).toMatch(problem);
    expect(() => createMobileDecryptor(pem)).toThrow(PrivateKeyError);
  });

  it('never quotes the key in the problem or the error', () => {
    const body = damaged.split('\n')[1]!;
    expect(validatePrivateKey(damaged)).not.toContain(body);
    let thrown: unknown;
    try {
      createMobileDecryptor(damaged);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PrivateKeyError);
    expect(String(thrown)).not.toContain(body);
  });
});

describe('no personal data or secret in any output', () => {
  it('prints nothing containing a phone number, a key or a secret while decrypting, signing and classifying', () => {
    const written: string[] = [];
    const capture = (chunk: unknown): boolean => {
      written.push(String(chunk));
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
      ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((level) =>
        jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' '))),
      ),
    ];
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const robotSecret = `SEC${randomBytes(16).toString('hex')}`;
    try {
      const decrypt = createMobileDecryptor(pkcs8);
      decrypt(oaep(MOBILE));
      decrypt(pkcs1v15(MOBILE));
      decrypt(pkcs1v15(MOBILE, other.publicKey));
      decrypt('garbage');
      validatePrivateKey('not a key');
      expect(() => createMobileDecryptor(pkcs8.slice(0, 200))).toThrow(PrivateKeyError);
      sign('lead_1', 1764396000, '{}', [webhookSecret]);
      const lead = { id: '1', name: '张三', mobile: MOBILE, mobile_encrypted: false };
      for (const format of ['standard', 'wecom', 'dingtalk', 'feishu'] as const) {
        renderRequest(
          {
            name: 'x',
            url: 'https://example.test/h',
            secrets: format === 'standard' ? [webhookSecret] : [robotSecret],
            headers: {},
            format,
            timeoutMs: 1000,
          },
          { lead, seenAt: '2026-11-29T06:00:00.000Z' },
          new Date(),
        );
      }
      classify({ kind: 'response', status: 400, body: `{"mobile":"${MOBILE}"}`, latencyMs: 1 }, 'standard');
      // The capture works: anything these wrote would be seen.
      console.warn('capture-check');
      process.stderr.write('capture-check-stderr');
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const output = written.join('\n');
    expect(output).toContain('capture-check');
    expect(output).toContain('capture-check-stderr');
    const keyBody = pkcs8.split('\n')[1]!;
    for (const secret of [MOBILE, keyBody, webhookSecret.slice(6), robotSecret]) expect(output).not.toContain(secret);
  });
});
