import { credentialsFromEnvironment, defaultProvider, LambdaCredentialsError } from '../../../../functions/shared/aws/lambda-credentials';

describe('the deployed functions\' credentials (Lambda environment only)', () => {
  it('reads the key pair and the session token Lambda sets', () => {
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' })).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' })).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' });
  });

  it.each([
    ['no variables', {}],
    ['no secret key', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }],
    ['an empty key id', { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: 'secret' }],
    ['only a profile', { AWS_PROFILE: 'dev' }],
  ])('refuses %s, naming the variables it reads', (_case, env: Record<string, string>) => {
    expect(() => credentialsFromEnvironment(env)).toThrow(LambdaCredentialsError);
    expect(() => credentialsFromEnvironment(env)).toThrow('no AWS credentials: the deployed functions read them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });

  it('the provider the SDK calls reads the process environment when asked, not when built', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    try {
      const provider = defaultProvider();
      process.env.AWS_ACCESS_KEY_ID = 'AKIALATER';
      process.env.AWS_SECRET_ACCESS_KEY = 'later';
      await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKIALATER', secretAccessKey: 'later' });
      delete process.env.AWS_ACCESS_KEY_ID;
      await expect(provider()).rejects.toBeInstanceOf(LambdaCredentialsError);
    } finally {
      for (const [key, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
