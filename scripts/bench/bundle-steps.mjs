// What each step of scripts/bundle-handler.mjs gains: builds the handler bundle without the plugins, with each in
// turn, and with options that were tried and not kept, then times loading each (and the AwsCustomResource
// baseline) in fresh Node processes, interleaved. Prints a markdown table; writes bench/bundle-steps.json.
//
//   node scripts/bench/bundle-steps.mjs [--runs 15]
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { handlerBuildOptions, lambdaCredentials, schemaKeys } from '../bundle-handler.mjs';
import { compareLoadTimes, sizes } from './cold-start.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });

/** For the upper bound of loading the CloudFormation client lazily: the handler without it (does not run). */
const withoutCloudFormation = {
  name: 'without-cloudformation',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/client-cloudformation$/ }, () => ({ path: 'none', namespace: 'without-cloudformation' }));
    b.onLoad({ filter: /.*/, namespace: 'without-cloudformation' }, () => ({ contents: 'export class CloudFormationClient {} export class DescribeStacksCommand {}', loader: 'js' }));
  },
};

const STEPS = [
  { name: 'before: esbuild, minified, SDK bundled', kept: true, options: { plugins: [] } },
  { name: '+ schemaKeys: tree-shake the SDK schemas', kept: true, options: { plugins: [schemaKeys] } },
  { name: '+ lambdaCredentials: env, container, IMDS only (shipped)', kept: true, options: { plugins: [schemaKeys, lambdaCredentials] } },
  {
    name: 'tried: + treeShaking, drop debugger, charset utf8, ignoreAnnotations off',
    kept: false,
    options: { plugins: [schemaKeys, lambdaCredentials] },
    extra: { treeShaking: true, drop: ['debugger'], charset: 'utf8', ignoreAnnotations: false },
  },
  { name: 'bound: no CloudFormation client at all (lazy loading gains at most this)', kept: false, options: { plugins: [schemaKeys, lambdaCredentials, withoutCloudFormation] } },
];

const dir = mkdtempSync(join(tmpdir(), 'byoasn-bundle-steps-'));
try {
  const bundles = {};
  for (const [i, step] of STEPS.entries()) {
    const outfile = join(dir, `step${i}`, 'index.js');
    await build({ ...handlerBuildOptions({ outfile, ...step.options }), ...step.extra });
    bundles[step.name] = outfile;
  }
  process.removeAllListeners('warning');
  process.stderr.write(`bundle-steps: loading ${STEPS.length} bundles and the baseline, ${args.runs} interleaved rounds\n`);
  const times = compareLoadTimes(bundles, Number(args.runs));
  const baselineMs = times.baseline.medianMs;
  const results = STEPS.map((step) => ({ step: step.name, kept: step.kept, ...sizes(bundles[step.name]), loadMs: times[step.name].medianMs }));
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  const lines = [
    `| Step | raw | gzip | cold load (median of ${args.runs}) | ÷ baseline (${baselineMs.toFixed(0)} ms) |`,
    '|---|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.step} | ${kib(r.rawBytes)} | ${kib(r.gzipBytes)} | ${r.loadMs.toFixed(0)} ms | ${(r.loadMs / baselineMs).toFixed(2)}x |`),
  ];
  console.log(lines.join('\n'));
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(join(root, 'bench', 'bundle-steps.json'), `${JSON.stringify({
    generatedAt: new Date().toISOString(), node: process.version, command: 'node scripts/bench/bundle-steps.mjs', runs: Number(args.runs),
    baselineMs, steps: results, table: lines.join('\n'),
  }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
