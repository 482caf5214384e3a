// Benchmarks with budgets: the handler bundle's size and cold-load time (Lambda cold starts pay both), and
// synth time of a large stack (5 ASNs, 20 associations). Prints a table; exits 1 if a budget is exceeded.
// Run through `npm run bench`, which builds first.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'assets', 'handler', 'index.js');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timeProcess(code, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' });
    samples.push(Number(out.trim().split('\n').pop()));
  }
  return median(samples);
}

const results = [];
const record = (name, value, unit, budget) => results.push({ name, value, unit, budget, ok: value <= budget });

const code = readFileSync(bundle);
record('handler bundle size', code.length / 1024, 'KiB', 2048);
record('handler bundle size, zipped (gzip)', gzipSync(code).length / 1024, 'KiB', 512);

// A fresh process per sample: the cost of loading the bundle in a new Lambda execution environment.
record('handler cold load (require), median of 7', timeProcess(
  `const t=process.hrtime.bigint();require(${JSON.stringify(bundle)});console.log(Number(process.hrtime.bigint()-t)/1e6)`, 7), 'ms', 300);

// Synth of a large stack from the compiled library.
const outdir = mkdtempSync(join(tmpdir(), 'byoasn-bench-'));
try {
  record('synth of 5 ASNs + 20 associations, median of 3', timeProcess(`
    const t=process.hrtime.bigint();
    const { App, Stack } = require('aws-cdk-lib');
    const { IpamByoasn } = require('./lib');
    const app = new App({ outdir: ${JSON.stringify(outdir)} });
    const stack = new Stack(app, 'Bench', { env: { account: '123456789012', region: 'us-east-1' } });
    for (let i = 0; i < 5; i++) {
      const asn = 64000 + i;
      const byoasn = new IpamByoasn(stack, 'Asn' + i, { ipamId: 'ipam-0123456789abcdef' + i, asn,
        authorizationContext: { message: '1|aws|123456789012|' + asn + '|20991231|SHA256|RSAPSS', signature: 'A'.repeat(342) + '__' } });
      for (let j = 0; j < 4; j++) byoasn.associateCidr('C' + j, '8.' + i + '.' + j + '.0/24');
    }
    app.synth();
    console.log(Number(process.hrtime.bigint()-t)/1e6)`, 3), 'ms', 15000);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

console.log('benchmark'.padEnd(48), 'value'.padStart(10), 'budget'.padStart(10), '');
for (const r of results) {
  console.log(r.name.padEnd(48), `${r.value.toFixed(1)} ${r.unit}`.padStart(10), `${r.budget} ${r.unit}`.padStart(10), r.ok ? 'ok' : 'OVER BUDGET');
}
const over = results.filter((r) => !r.ok).length;
console.log(`${results.length - over} passed, ${over} failed`);
process.exitCode = over === 0 ? 0 : 1;
