/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Generous, because turbo runs several packages' suites at once on small CI machines.
  testTimeout: 60_000,
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};
