/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Generous, because turbo runs several packages' suites at once on small CI machines.
  testTimeout: 60_000,
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: {
    // Tests run against the workspace packages' source, so they need no build first.
    '^@factorized/core$': '<rootDir>/../../packages/core/src/index.ts',
    '^@factorized/tfjs$': '<rootDir>/../../packages/tfjs/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
