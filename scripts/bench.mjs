// `npm run bench` (which builds first): this library side by side with the AwsCustomResource way, in one
// process run, printed as one markdown table and written to bench/results.json. README "Benchmarks" explains
// every row. Exits 1 when the handler's cold load is over 0.4x the baseline's, or when a create and destroy
// makes EC2 calls beyond what the lifecycle needs.
//
//   node scripts/bench.mjs [--rounds 7] [--cold-runs 15]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureColdStart } from './bench/cold-start.mjs';
import { REALISTIC_DELAYS, loadTestModules, measureBaselineEconomy, measureEconomy } from './bench/economy.mjs';
import { largestN, measureStacks } from './bench/stacks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, 'cold-runs': { type: 'string', default: '15' } } });
const NS = [1, 10, 50, 200];
const RESOURCE_LIMIT = 500;
const COLD_LOAD_TARGET = 0.4;
const started = Date.now();
// The SDK warns once per process that Node 20 support ends; it says nothing about the results.
process.removeAllListeners('warning');

const log = (message) => process.stderr.write(`bench: ${message}\n`);

log(`synthesizing 1 ASN with N = ${NS.join(', ')} associations, both ways, ${args.rounds} interleaved rounds`);
const stacks = measureStacks(NS, Number(args.rounds));
const limits = { library: largestN('library', stacks.library, RESOURCE_LIMIT), baseline: largestN('baseline', stacks.baseline, RESOURCE_LIMIT) };

log(`loading both handlers in fresh Node processes, ${args['cold-runs']} interleaved rounds`);
const cold = measureColdStart(Number(args['cold-runs']));

log('deploying and destroying the example app against the EC2 emulator, with instant and realistic AWS timings');
const modules = loadTestModules();
const economy = {
  instant: { library: await measureEconomy({}, modules), baseline: await measureBaselineEconomy({}, modules) },
  realistic: { library: await measureEconomy(REALISTIC_DELAYS, modules), baseline: await measureBaselineEconomy(REALISTIC_DELAYS, modules) },
};

// ---------------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------------

const int = (n) => Math.round(n).toLocaleString('en-US');
const kib = (bytes) => `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} KiB`;
const ms = (n) => `${n.toLocaleString('en-US', { maximumFractionDigits: 0 })} ms`;
const ratio = (a, b) => (b === 0 ? '–' : `${(a / b).toFixed(2)}x`);
const rows = [];
const row = (measure, library, baseline, format = int, ratioText = ratio(library, baseline)) => rows.push([measure, format(library), format(baseline), ratioText]);
const perAssociation = (flavour, key) => (stacks[flavour][NS.at(-1)][key] - stacks[flavour][NS[0]][key]) / (NS.at(-1) - NS[0]);
const typeCount = (flavour, n, type) => stacks[flavour][n].byType[type] ?? 0;

for (const n of NS) {
  row(`Template bytes, N=${n}`, stacks.library[n].templateBytes, stacks.baseline[n].templateBytes);
}
row('Template bytes per association', perAssociation('library', 'templateBytes'), perAssociation('baseline', 'templateBytes'));
for (const n of NS) {
  row(`CloudFormation resources, N=${n}`, stacks.library[n].resources, stacks.baseline[n].resources);
}
row('Resources per association', perAssociation('library', 'resources'), perAssociation('baseline', 'resources'));
row('Fixed resources (provider + 1 ASN)', limits.library.fixed, limits.baseline.fixed);
row(`Largest N under ${RESOURCE_LIMIT} resources`, limits.library.n, limits.baseline.n);
row('Lambda functions', typeCount('library', 1, 'AWS::Lambda::Function'), typeCount('baseline', 1, 'AWS::Lambda::Function'));
row('IAM roles', typeCount('library', 1, 'AWS::IAM::Role'), typeCount('baseline', 1, 'AWS::IAM::Role'));
row(`IAM policies, N=${NS.at(-1)}`, typeCount('library', NS.at(-1), 'AWS::IAM::Policy'), typeCount('baseline', NS.at(-1), 'AWS::IAM::Policy'));
row('Log groups', typeCount('library', 1, 'AWS::Logs::LogGroup'), typeCount('baseline', 1, 'AWS::Logs::LogGroup'));
row('State machines', typeCount('library', 1, 'AWS::StepFunctions::StateMachine'), typeCount('baseline', 1, 'AWS::StepFunctions::StateMachine'));
for (const n of NS) {
  row(`Synth time, N=${n} (median of ${args.rounds})`, stacks.library[n].synthMedianMs, stacks.baseline[n].synthMedianMs, ms);
}
row('Handler asset, raw', cold.library.rawBytes, cold.baseline.rawBytes, kib);
row('Handler asset, gzip', cold.library.gzipBytes, cold.baseline.gzipBytes, kib);
row('Code loaded at cold start', cold.library.loadedBytes, cold.baseline.loadedBytes, kib);
row(`Cold load (median of ${cold.runs})`, cold.library.loadMs, cold.baseline.loadMs, ms);
for (const timing of ['instant', 'realistic']) {
  const { library, baseline } = economy[timing];
  // A baseline that failed made fewer calls only because it gave up: no ratio then.
  const failed = baseline.failures.length > 0;
  rows.push([`EC2 calls, create + destroy, ${timing} AWS`, int(library.ec2Calls), `${int(baseline.ec2Calls)}${failed ? ' (failed)' : ''}`, failed ? '–' : ratio(library.ec2Calls, baseline.ec2Calls)]);
}
rows.push(['Outcome with realistic AWS timings', 'created and destroyed', economy.realistic.baseline.outcome, '–']);

const header = ['Measure', 'cdk-ipam-byoasn', 'AwsCustomResource', 'ratio'];
const table = [
  `| ${header.join(' | ')} |`,
  `|${['---', '---:', '---:', '---:'].join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

const realistic = economy.realistic.library;
const notes = [
  'Ratio: cdk-ipam-byoasn ÷ AwsCustomResource (below 1 is better, except for the largest N).',
  'N: associations of one ASN. AwsCustomResource: one per ASN and per association, `installLatestAwsSdk: false`, Provision/Deprovision and Associate/Disassociate calls. It cannot wait: it returns as soon as AWS accepts a call, so an association starts while its ASN is still `pending-provision`.',
  `Cold load: \`require\` of the handler in a fresh Node ${cold.node} process; the baseline loads aws-cdk-lib's AwsCustomResource handler plus the \`@aws-sdk/client-ec2\` it takes from the Lambda runtime. Target: at most ${COLD_LOAD_TARGET}x.`,
  `EC2 calls: the example app (1 ASN, 2 associations) against the EC2 emulator. The minimum the lifecycle needs (6 mutations, one read before each, one read per isComplete poll) is ${economy.instant.library.minimum} with instant AWS and ${realistic.minimum} with realistic timings (ASN ${REALISTIC_DELAYS.provisionAsn / 60_000} min to provision, ${REALISTIC_DELAYS.deprovisionAsn / 60_000} min to deprovision; association ${REALISTIC_DELAYS.associate / 1000} s, disassociation ${REALISTIC_DELAYS.disassociate / 1000} s; ${realistic.invocations.isComplete} polls at 10 s). With realistic timings the baseline fails: ${economy.realistic.baseline.failures.join('; ')}.`,
];
console.log(`${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}`);

// ---------------------------------------------------------------------------------------------------------------
// Results file and checks
// ---------------------------------------------------------------------------------------------------------------

const coldRatio = cold.library.loadMs / cold.baseline.loadMs;
const checks = [
  { name: `cold load at most ${COLD_LOAD_TARGET}x the baseline`, ok: coldRatio <= COLD_LOAD_TARGET, value: Number(coldRatio.toFixed(3)) },
  ...['instant', 'realistic'].map((timing) => ({
    name: `EC2 calls, ${timing} AWS, at the lifecycle's minimum`,
    ok: economy[timing].library.ec2Calls === economy[timing].library.minimum,
    value: `${economy[timing].library.ec2Calls} of ${economy[timing].library.minimum}`,
  })),
];
let commit;
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  commit = undefined;
}
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify({
  generatedAt: new Date().toISOString(),
  commit,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  command: 'npm run bench',
  settings: { associations: NS, synthRounds: Number(args.rounds), coldRuns: cold.runs, resourceLimit: RESOURCE_LIMIT, realisticDelaysMs: REALISTIC_DELAYS },
  table,
  stacks,
  largestN: limits,
  coldStart: cold,
  economy,
  checks,
  durationSeconds: Math.round((Date.now() - started) / 1000),
}, null, 2)}\n`);

for (const check of checks) {
  log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name} (${check.value})`);
}
log(`wrote bench/results.json in ${Math.round((Date.now() - started) / 1000)} s`);
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
