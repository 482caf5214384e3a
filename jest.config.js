/** Jest runs the TypeScript sources through SWC (type-checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/setup/quiet.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  testTimeout: 30000,
  // Under `npm test`, summaries only (failures in full, then the totals), so that the whole run fits on a
  // screen; `npx jest` keeps the line per test file.
  reporters: /^test(:|$)/.test(process.env.npm_lifecycle_event ?? '') ? ['summary'] : ['default'],
};
