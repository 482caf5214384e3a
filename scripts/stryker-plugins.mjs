// @ts-check
/**
 * Two Stryker plugins that make `npm run mutation` several times faster with the same verdict for each mutant.
 *
 * `jest-covering-files` (test runner): Stryker's own jest runner (@stryker-mutator/jest-runner, pinned), except
 * that a mutant run loads only the test files that hold a test covering the mutant. With `coverageAnalysis:
 * 'perTest'` Stryker already runs only the covering tests (jest's testNamePattern), but the jest runner still
 * loads every test file related to the mutated file (`--findRelatedTests`): every handler test goes through
 * lambda/index.ts, so a handler mutant loaded nine test files, each with the AWS SDK, to run a few tests of one
 * or two. The same tests run; the files that hold none of them are not loaded. The dry run reports each test's
 * file; the runner keeps that map (and writes it into the sandbox, for the runner processes that did not do the
 * dry run). The test files named after the mutated file (lambda/ec2.ts: ec2.test.ts, mutation-ec2.test.ts) run
 * first and alone: most mutants fail a test there, which kills them as any failing test would, and only a mutant
 * that survives them runs the other files. That matters most for a static mutant (one hit while its module
 * loads: Stryker cannot tell which tests cover it, so every test of every related file runs, 10 to 20 s). A
 * test the map does not know falls back to the jest runner's own behaviour (the related files).
 *
 * `typescript-program` (checker): the check of @stryker-mutator/typescript-checker (a mutant that does not
 * compile is a CompileError, left out of the score), done with TypeScript's builder program directly: each
 * mutant is applied to its file's text, the program is rebuilt from the previous one, and only the files whose
 * result can change are checked again. Stryker's checker drives a watching solution builder instead and took
 * about 2 s of CPU a mutant here, against 0.2 to 0.5 s this way, and it, not the tests, set the pace. Every
 * mutant is checked on its own (no grouping), as the typescript checker does with
 * `prioritizePerformanceOverAccuracy: false`. It reads `tsconfigFile` and, like Stryker's checker, turns off
 * emit and the unused-code errors (a mutant that empties a block must not fail for an unused name).
 *
 * Set STRYKER_PLUGINS_LOG to a file name to log each mutant run's time and test files there.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import ts from 'typescript';
import { CheckStatus } from '@stryker-mutator/api/check';
import { DryRunStatus, MutantRunStatus } from '@stryker-mutator/api/test-runner';
import { PluginKind, commonTokens, declareClassPlugin, declareFactoryPlugin, tokens } from '@stryker-mutator/api/plugin';
import { strykerPlugins as jestRunnerPlugins } from '@stryker-mutator/jest-runner';

const MAP_FILE = '.stryker-test-files.json';
const jestPlugin = jestRunnerPlugins.find((plugin) => plugin.name === 'jest');
if (!jestPlugin || jestPlugin.kind !== PluginKind.TestRunner) {
  throw new Error('stryker-plugins: @stryker-mutator/jest-runner has no "jest" test runner plugin');
}

class CoveringFilesRunner {
  /** @param {any} inner the jest runner; @param {string} mapFile */
  constructor(inner, mapFile) {
    this.inner = inner;
    this.mapFile = mapFile;
    /** @type {Map<string, string[]> | undefined} test id -> the files that hold a test of that id */
    this.files = undefined;
    /** @type {string[] | undefined} every test file of the map, listed once */
    this.testFiles = undefined;
    /** @type {string[] | undefined} the test files of the mutant run in progress */
    this.current = undefined;
    // The jest runner's run() gives jest either explicit test files or the files to find related tests of; the
    // explicit list wins (its adapter sets --findRelatedTests only without one).
    const run = inner.run.bind(inner);
    inner.run = (settings) => run(this.current ? { ...settings, testFiles: this.current } : settings);
  }

  capabilities() {
    return this.inner.capabilities();
  }

  init() {
    return this.inner.init();
  }

  dispose() {
    return this.inner.dispose?.();
  }

  async dryRun(options) {
    this.current = undefined;
    const result = await this.inner.dryRun(options);
    if (result.status === DryRunStatus.Complete) {
      const byId = new Map();
      for (const test of result.tests) {
        if (test.fileName) {
          byId.set(test.id, [...new Set([...(byId.get(test.id) ?? []), test.fileName])]);
        }
      }
      this.files = byId;
      this.testFiles = undefined;
      writeFileSync(this.mapFile, JSON.stringify(Object.fromEntries(byId)));
    }
    return result;
  }

  async mutantRun(options) {
    const start = Date.now();
    let how = '';
    try {
      // Most mutants are killed by the mutated file's own tests, so those run first; only when they all pass
      // do the other files run. A static mutant (every test of every related file: 10 to 20 s) gains most.
      const covering = this.coveringFiles(options.testFilter); // undefined: every related file
      const own = this.ownTestFiles(options.activeMutant.fileName).filter((file) => !covering || covering.includes(file));
      let rest = covering;
      if (own.length > 0 && own.length !== covering?.length) {
        const first = await this.runWith(own, options);
        how = `${own.length} own file(s): ${first.status}`;
        if (first.status !== MutantRunStatus.Survived) {
          return first;
        }
        how += ', then ';
        rest = covering?.filter((file) => !own.includes(file));
      }
      how += rest ? `${rest.length} covering file(s)` : 'related files';
      return await this.runWith(rest, options);
    } finally {
      if (process.env.STRYKER_PLUGINS_LOG) {
        appendFileSync(process.env.STRYKER_PLUGINS_LOG, `${start} ${Date.now() - start}ms mutant ${options.activeMutant.id} (${options.testFilter?.length ?? 'all'} tests): ${how}\n`);
      }
    }
  }

  /** A mutant run of the jest runner with these test files (undefined: the files related to the mutated one). */
  async runWith(files, options) {
    this.current = files;
    try {
      return await this.inner.mutantRun(options);
    } finally {
      this.current = undefined;
    }
  }

  /** The test files named after the mutated file: lambda/ec2.ts -> ec2.test.ts and mutation-ec2.test.ts. */
  ownTestFiles(fileName) {
    const name = basename(fileName).replace(/\.ts$/, '');
    this.testFiles ??= [...new Set([...this.testMap().values()].flat())];
    return this.testFiles
      .filter((file) => ['', 'mutation-'].some((prefix) => basename(file) === `${prefix}${name}.test.ts`))
      .sort();
  }

  /** @returns {Map<string, string[]>} */
  testMap() {
    if (!this.files && existsSync(this.mapFile)) {
      this.files = new Map(Object.entries(JSON.parse(readFileSync(this.mapFile, 'utf8'))));
    }
    return this.files ?? new Map();
  }

  /** @param {string[] | undefined} testFilter @returns {string[] | undefined} */
  coveringFiles(testFilter) {
    if (!testFilter || testFilter.length === 0) {
      return undefined;
    }
    const map = this.testMap();
    const files = new Set();
    for (const id of testFilter) {
      const of = map.get(id);
      if (!of) {
        return undefined;
      }
      of.forEach((file) => files.add(file));
    }
    return [...files].sort();
  }
}

/** The compiler options of the check: the project's, without emit and without the unused-code errors. */
function checkOptions(options) {
  return {
    ...options,
    noEmit: true,
    incremental: false,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    inlineSourceMap: false,
    inlineSources: false,
    allowUnreachableCode: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
  };
}

class TypescriptProgramChecker {
  static inject = tokens(commonTokens.options);

  /** @param {any} options Stryker's options */
  constructor(options) {
    this.tsconfigFile = resolve(options.tsconfigFile);
    /** @type {Map<string, ts.SourceFile | undefined>} the unmutated source files, parsed once */
    this.cache = new Map();
    /** @type {{ fileName: string, text: string, version: string } | undefined} the mutated file of this check */
    this.mutated = undefined;
    this.checks = 0;
  }

  async init() {
    const parsed = ts.getParsedCommandLineOfConfigFile(this.tsconfigFile, {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(`typescript-program: ${this.format([diagnostic])}`);
      },
    });
    if (!parsed) {
      throw new Error(`typescript-program: cannot read ${this.tsconfigFile}`);
    }
    this.options = checkOptions(parsed.options);
    this.rootNames = parsed.fileNames;
    this.roots = new Set(this.rootNames.map((name) => resolve(name)));
    this.host = ts.createCompilerHost(this.options);
    const getSourceFile = this.host.getSourceFile.bind(this.host);
    this.host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
      if (this.mutated && resolve(fileName) === this.mutated.fileName) {
        const file = ts.createSourceFile(fileName, this.mutated.text, languageVersion, true);
        // @ts-expect-error the builder program tells files apart by this field, which the compiler host sets
        file.version = this.mutated.version;
        return file;
      }
      if (!this.cache.has(fileName)) {
        const file = getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (file) {
          // @ts-expect-error as above
          file.version = 'original';
        }
        this.cache.set(fileName, file);
      }
      return this.cache.get(fileName);
    };
    const errors = this.rebuild();
    if (errors.length > 0) {
      throw new Error(`typescript-program: the unmutated project does not compile:\n${this.format(errors)}`);
    }
  }

  /** @param {import('@stryker-mutator/api/core').Mutant[]} mutants */
  async check(mutants) {
    /** @type {Record<string, import('@stryker-mutator/api/check').CheckResult>} */
    const results = {};
    for (const mutant of mutants) {
      const fileName = resolve(mutant.fileName);
      if (!this.roots.has(fileName)) {
        // Not in the checked program (tsconfigFile): nothing to say about it.
        results[mutant.id] = { status: CheckStatus.Passed };
        continue;
      }
      const original = this.cache.get(fileName) ?? this.host.getSourceFile(fileName, ts.ScriptTarget.Latest);
      if (!original) {
        throw new Error(`typescript-program: cannot read ${fileName}`);
      }
      const start = original.getPositionOfLineAndCharacter(mutant.location.start.line, mutant.location.start.column);
      const end = original.getPositionOfLineAndCharacter(mutant.location.end.line, mutant.location.end.column);
      const text = original.text.slice(0, start) + mutant.replacement + original.text.slice(end);
      this.mutated = { fileName, text, version: `mutant-${mutant.id}-${++this.checks}` };
      const errors = this.rebuild();
      results[mutant.id] = errors.length > 0
        ? { status: CheckStatus.CompileError, reason: this.format(errors) }
        : { status: CheckStatus.Passed };
    }
    // The next check starts from the unmutated files again.
    this.mutated = undefined;
    return results;
  }

  /** Builds the program from the previous one and returns its errors; only the affected files are checked again. */
  rebuild() {
    this.builder = ts.createEmitAndSemanticDiagnosticsBuilderProgram(this.rootNames, this.options, this.host, this.builder);
    return [
      ...this.builder.getOptionsDiagnostics(),
      ...this.builder.getGlobalDiagnostics(),
      ...this.builder.getSyntacticDiagnostics(),
      ...this.builder.getSemanticDiagnostics(),
    ].filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
  }

  /** @param {readonly ts.Diagnostic[]} diagnostics */
  format(diagnostics) {
    return ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (fileName) => fileName,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => '\n',
    });
  }
}

function coveringFilesRunnerFactory(injector) {
  return new CoveringFilesRunner(injector.injectFunction(jestPlugin.factory), join(process.cwd(), MAP_FILE));
}
coveringFilesRunnerFactory.inject = tokens(commonTokens.injector);

export const strykerPlugins = [
  declareFactoryPlugin(PluginKind.TestRunner, 'jest-covering-files', coveringFilesRunnerFactory),
  declareClassPlugin(PluginKind.Checker, 'typescript-program', TypescriptProgramChecker),
];
