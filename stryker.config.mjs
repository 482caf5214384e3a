// @ts-check
/**
 * Mutation testing (StrykerJS) of the handlers (lambda/) and the construct-side checks (lib/private/), with the
 * fast unit tests only. Run it through `node scripts/mutation.mjs` (npm run mutation), which also checks the
 * 90% threshold for each file; `npx stryker run` alone checks only the overall score.
 *
 * lib/private/provider.ts is not mutated: its tests synthesize whole stacks around the bundled handler
 * (assets/handler, made by `npm run build` and kept out of the sandbox), so they are neither fast nor runnable
 * in the sandbox. What it does is covered by test/private/provider.test.ts and the construct tests.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
// MUTATION_RUN=name (scripts/mutation.mjs --run=name) gives a run its own sandbox folder and report, so that two
// runs can go on side by side (a finished run deletes its temporary folder).
const run = process.env.MUTATION_RUN ? `-${process.env.MUTATION_RUN.replace(/[^\w.-]/g, '_')}` : '';

export default {
  mutate: [
    'lambda/**/*.ts',
    'lib/private/**/*.ts',
    '!lib/private/provider.ts',
    // Declarations that `npm run build` leaves beside the sources.
    '!**/*.d.ts',
  ],
  // Stryker's jest runner, loading only the test files that cover each mutant (scripts/stryker-plugins.mjs).
  testRunner: 'jest-covering-files',
  plugins: ['@stryker-mutator/jest-runner', './scripts/stryker-plugins.mjs'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // Merged over jest.config.js: the unit tests that exercise lambda/ and lib/private/ in seconds. Not
    // test/lifecycle, test/emulator, test/build, test/prepare (slow), nor the construct tests and
    // test/private/provider.test.ts, which need the handler bundle in assets/.
    config: {
      testMatch: [
        '<rootDir>/test/lambda/**/*.test.ts',
        '<rootDir>/test/private/**/*.test.ts',
      ],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/private/provider\\.test\\.ts$',
      ],
    },
    // A static mutant runs the test files that import its file (jest-covering-files: its own tests first).
    enableFindRelatedTests: true,
  },
  // Mutants that do not compile are reported as CompileError and left out of the score (as `tsc` would refuse them).
  // The checker (typescript-program, scripts/stryker-plugins.mjs) rebuilds tsconfig.mutation.json's program for
  // each mutant: lambda/ and the two lib/private files it imports. With the whole project (every test suite,
  // aws-cdk-lib's types) each check would take seconds. Mutants of the other lib/private files (which import aws-cdk-lib) are therefore not
  // type-checked: a survivor there may be one that would not compile (see test/MUTATION-EQUIVALENTS.md).
  checkers: ['typescript-program'],
  tsconfigFile: 'tsconfig.mutation.json',
  coverageAnalysis: 'perTest',
  // With a checker, Stryker splits this between checker and test runner processes: one of each, for 2 cores.
  concurrency: 2,
  // Added to 1.5 times the covering tests' time in the dry run. A mutant's run takes 0.5 to 2 s on a quiet
  // machine, but a busy one (5 s was tried) turned slow runs into false timeouts, which count as killed.
  timeoutMS: 10000,
  ignorePatterns: [
    'cdk.out',
    '**/cdk.out',
    'bench',
    'assets',
    'reports',
    'coverage',
    '.ci',
  ],
  tempDirName: `reports/.stryker-tmp${run}`,
  reporters: ['clear-text', 'progress', 'json'],
  clearTextReporter: { reportTests: false, reportMutants: false, reportScoreTable: true },
  jsonReporter: { fileName: `reports/mutation/mutation${run}.json` },
  // The 90% rule is per file, checked by scripts/mutation.mjs; this break is the same bar for the total.
  thresholds: { high: 95, low: 90, break: 90 },
};
