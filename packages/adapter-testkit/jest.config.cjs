/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Generous, because turbo runs several packages' suites at once on small CI machines.
  testTimeout: 60_000,
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: {
    // Tests run against core's source, so they need no build of core first.
    '^@factorized/core$': '<rootDir>/../core/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
