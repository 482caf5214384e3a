// Cold start: what a new Lambda execution environment loads before the first invocation, measured as the time
// to require the handler in a fresh Node process (the median of interleaved runs), against the AwsCustomResource
// baseline: aws-cdk-lib's handler plus the `@aws-sdk/client-ec2` it requires from the Lambda runtime.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** The bundle this library ships. */
export const LIBRARY_BUNDLE = join(root, 'assets', 'handler', 'index.js');

/** aws-cdk-lib's AwsCustomResource handler, as its asset ships it. */
export const BASELINE_HANDLER = join(dirname(require.resolve('aws-cdk-lib/package.json')),
  'custom-resource-handlers', 'dist', 'custom-resources', 'aws-custom-resource-handler', 'index.js');

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** What the baseline loads: its handler, then the SDK client it requires when it runs EC2 calls. */
const BASELINE_CODE = `require(${JSON.stringify(BASELINE_HANDLER)});require('@aws-sdk/client-ec2')`;
const libraryCode = (bundle) => `require(${JSON.stringify(bundle)})`;

/** Milliseconds to run `code` (requires) in a fresh Node process, measured inside it. */
function loadTime(code) {
  const out = execFileSync(process.execPath, ['-e', `const t=process.hrtime.bigint();${code};console.log(Number(process.hrtime.bigint()-t)/1e6)`], { cwd: root, encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

/** Bytes of JavaScript and JSON that `code` loads (every module in require's cache afterwards). */
export function loadedBytes(code) {
  const out = execFileSync(process.execPath, ['-e', `${code};let n=0;for(const f of Object.keys(require.cache))n+=require('fs').statSync(f).size;console.log(n)`], { cwd: root, encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

/**
 * Load times of the baseline and of each bundle, `runs` rounds, each round running every candidate once in
 * turn (the order rotates), so that a slow moment of the machine hits all of them alike. Returns medians in ms.
 */
export function compareLoadTimes(bundles, runs = 15) {
  const candidates = [['baseline', BASELINE_CODE], ...Object.entries(bundles).map(([name, file]) => [name, libraryCode(file)])];
  const samples = Object.fromEntries(candidates.map(([name]) => [name, []]));
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < candidates.length; i++) {
      const [name, code] = candidates[(i + round) % candidates.length];
      samples[name].push(loadTime(code));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { medianMs: median(values), samplesMs: values }]));
}

/** Raw and gzip sizes of a file. */
export function sizes(file) {
  const code = readFileSync(file);
  return { rawBytes: code.length, gzipBytes: gzipSync(code).length };
}

/** The cold-start figures of the shipped bundle against the baseline. */
export function measureColdStart(runs = 15) {
  const times = compareLoadTimes({ library: LIBRARY_BUNDLE }, runs);
  return {
    runs,
    node: process.version,
    library: { ...sizes(LIBRARY_BUNDLE), loadedBytes: loadedBytes(libraryCode(LIBRARY_BUNDLE)), loadMs: times.library.medianMs, samplesMs: times.library.samplesMs },
    baseline: { ...sizes(BASELINE_HANDLER), loadedBytes: loadedBytes(BASELINE_CODE), loadMs: times.baseline.medianMs, samplesMs: times.baseline.samplesMs },
  };
}
