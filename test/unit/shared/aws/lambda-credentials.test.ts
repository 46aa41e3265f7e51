import { defaultProvider } from '../../../../functions/shared/aws/lambda-credentials';

/** What the deployed bundles' SDK clients call in place of the default chain (infra/bundling.ts). */
describe("the deployed functions' credentials (Lambda environment only)", () => {
  const NAMES = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_CREDENTIAL_EXPIRATION',
    'AWS_CREDENTIAL_SCOPE',
    'AWS_ACCOUNT_ID',
  ];
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
    for (const name of NAMES) delete process.env[name];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('reads the key pair and the session token Lambda sets, when asked, not when built', async () => {
    const provider = defaultProvider({});
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';
    await expect(provider()).resolves.toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    delete process.env.AWS_SESSION_TOKEN;
    await expect(provider()).resolves.not.toHaveProperty('sessionToken');
  });

  it.each([
    ['no variables', {}],
    ['no secret key', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }],
    ['an empty key id', { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 'secret' }],
    ['only a profile', { AWS_PROFILE: 'dev' }],
  ])('refuses %s', async (_case, env: Record<string, string>) => {
    Object.assign(process.env, env);
    await expect(defaultProvider({})()).rejects.toMatchObject({
      name: 'CredentialsProviderError',
      message: 'Unable to find environment variable credentials.',
    });
  });
});
