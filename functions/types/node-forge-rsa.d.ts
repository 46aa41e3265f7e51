// node-forge's RSA and big-integer modules alone, without its index (TLS, X.509, PKCS#12, …):
// what shared/mobile/rsa-pkcs1.ts imports. Typed with @types/node-forge; node-forge has no
// `exports` map, so the paths resolve as files.
declare module 'node-forge/lib/rsa' {
  import type { pki } from 'node-forge';
  const rsa: Pick<typeof pki.rsa, 'setPrivateKey'>;
  export = rsa;
}

declare module 'node-forge/lib/jsbn' {
  import type { jsbn } from 'node-forge';
  const mod: { BigInteger: typeof jsbn.BigInteger };
  export = mod;
}
