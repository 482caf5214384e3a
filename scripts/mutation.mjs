#!/usr/bin/env node
/**
 * Mutation testing with a threshold for each file (issue 13): runs StrykerJS (stryker.config.mjs), then reads its
 * JSON report and requires a mutation score of at least 90% in every mutated file. One line per file; every
 * surviving (or uncovered) mutant is listed below the table so that it can be killed or shown equivalent
 * (test/MUTATION-EQUIVALENTS.md).
 *
 *   node scripts/mutation.mjs                         every file of stryker.config.mjs's `mutate`
 *   node scripts/mutation.mjs lambda/ec2.ts lib/private/validation.ts
 *                                                     only these files (Stryker's --mutate; globs work too)
 *   node scripts/mutation.mjs lambda/byoip-cidr.ts:150-230
 *                                                     only the mutants of these lines
 *   node scripts/mutation.mjs --incremental --concurrency=3 lambda/ec2.ts
 *                                                     any --option is passed to `stryker run` as it is; give
 *                                                     an option's value after `=` (a word on its own is a
 *                                                     file). --incremental is for iterating: it can reuse a
 *                                                     stale result of a static mutant, so judge a change
 *                                                     without it
 *   node scripts/mutation.mjs --run=mine lambda/ec2.ts
 *                                                     a run with its own sandbox and report
 *                                                     (reports/mutation/mutation-mine.json), beside others
 *   node scripts/mutation.mjs --report-only           only check the last report again
 *   node scripts/mutation.mjs --report-only --report=reports/mutation/other.json
 *                                                     ... or another report of the same format
 *
 * The score is Stryker's: (killed + timeout) / (killed + timeout + survived + no coverage). Mutants that do
 * not compile (the TypeScript checker) or that crash the test run are not counted, as in Stryker's report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const THRESHOLD = 90;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const reportOnly = args.includes('--report-only');
const reportArg = args.find((a) => a.startsWith('--report='));
const runArg = args.find((a) => a.startsWith('--run='));
if (runArg) {
  // stryker.config.mjs reads it: this run's own sandbox folder and report.
  process.env.MUTATION_RUN = runArg.slice('--run='.length).replace(/[^\w.-]/g, '_');
}
const runSuffix = process.env.MUTATION_RUN ? `-${process.env.MUTATION_RUN}` : '';
const REPORT = reportArg ? resolve(ROOT, reportArg.slice('--report='.length)) : join(ROOT, 'reports', 'mutation', `mutation${runSuffix}.json`);
const files = args.filter((a) => !a.startsWith('-'));
// Every file to mutate here is under a folder: a word without a '/' is an option's value given after a space.
const stray = files.filter((a) => !a.includes('/'));
if (stray.length > 0) {
  console.error(`mutation: ${stray.map((a) => `'${a}'`).join(', ')} is not a file under a folder (lambda/..., lib/private/...); give an option's value after '=', e.g. --concurrency=3.`);
  process.exit(2);
}
const passThrough = args.filter((a) => a.startsWith('-') && a !== '--report-only' && a !== reportArg && a !== runArg);

if (!reportOnly) {
  const stryker = join(dirname(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json')), 'bin', 'stryker.js');
  // A report left from an earlier run must not pass for this one.
  rmSync(REPORT, { force: true });
  const strykerArgs = [stryker, 'run', ...(files.length > 0 ? ['--mutate', files.join(',')] : []), ...passThrough];
  console.log(`$ node ${strykerArgs.map((a) => relative(ROOT, a) || a).join(' ')}`);
  const run = spawnSync(process.execPath, strykerArgs, { cwd: ROOT, stdio: 'inherit' });
  if (run.error) {
    throw run.error;
  }
  if (!existsSync(REPORT)) {
    console.error(`mutation: Stryker wrote no report (exit ${run.status ?? run.signal}).`);
    process.exit(run.status || 1);
  }
  // Stryker exits non-zero when the total is below its break threshold; the per-file check below decides.
}

if (!existsSync(REPORT)) {
  console.error(`mutation: no report at ${relative(ROOT, REPORT)}; run without --report-only first.`);
  process.exit(1);
}

const report = JSON.parse(readFileSync(REPORT, 'utf8'));
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const rows = [];
const undetected = [];
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = (status) => mutants.filter((m) => m.status === status).length;
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const missed = mutants.filter((m) => UNDETECTED.has(m.status));
  const valid = detected + missed.length;
  // A file without a valid mutant (e.g. only types) has nothing to score: it passes.
  const score = valid === 0 ? undefined : (100 * detected) / valid;
  rows.push({
    file,
    killed: count('Killed'),
    timeout: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    invalid: count('CompileError') + count('RuntimeError'),
    score,
    pass: score === undefined || score >= THRESHOLD,
  });
  for (const m of missed.sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)) {
    undetected.push(`${file}:${m.location.start.line}:${m.location.start.column}  ${m.status}  ${m.mutatorName}: ${oneLine(m.replacement ?? '')}`);
  }
}

function oneLine(text) {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 97)}...` : flat;
}

const header = ['file', 'killed', 'timeout', 'survived', 'no-cov', 'invalid', 'score', ''];
const table = [header, ...rows.map((r) => [
  r.file, r.killed, r.timeout, r.survived, r.noCoverage, r.invalid,
  r.score === undefined ? 'n/a' : `${r.score.toFixed(1)}%`, r.pass ? 'ok' : `BELOW ${THRESHOLD}%`,
].map(String))];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
console.log('');
for (const row of table) {
  console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}
if (undetected.length > 0) {
  console.log(`\nUndetected mutants (${undetected.length}); the equivalent ones are listed in test/MUTATION-EQUIVALENTS.md:`);
  for (const line of undetected) {
    console.log(`  ${line}`);
  }
}
const failing = rows.filter((r) => !r.pass);
if (rows.length === 0) {
  console.error('\nmutation: the report has no mutated file.');
  process.exit(1);
}
if (failing.length > 0) {
  console.error(`\nmutation: ${failing.length} of ${rows.length} file(s) below ${THRESHOLD}%: ${failing.map((r) => r.file).join(', ')}`);
  process.exit(1);
}
console.log(`\nmutation: every file (${rows.length}) at ${THRESHOLD}% or more.`);
