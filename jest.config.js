// Three projects so a developer can run one layer (`npx jest --selectProjects unit`).
// ts-jest only transpiles (tsconfig isolatedModules): `npm test` type-checks once with `tsc --noEmit`.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests run real servers and real retries (visibility timeouts of a second or two).
  testTimeout: 60_000,
  // Starts one fauxqs (ESM-only, so it cannot be required inside a test) for the whole run.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
  ],
};
