// Installs the packed library beside the lowest aws-cdk-lib and constructs that its peer range admits, in a
// temporary consumer app, and synthesizes the example app there: the proof that the declared range is true.
//
//   node scripts/check-peer-floor.mjs                   the floors of package.json's peerDependencies
//   node scripts/check-peer-floor.mjs 2.150.0 10.0.0    other versions (to look for the floor)
//
// Needs the npm registry (or its cache) and a built library (`npm run build`). Prints one summary line; exits
// non-zero when the install or the synthesis fails, with the consumer's output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The lowest version of a caret range such as `^2.200.0`. */
const floorOf = (range) => {
  const match = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  if (!match) {
    throw new Error(`peer range '${range}' is not of the form ^X.Y.Z; teach scripts/check-peer-floor.mjs its floor`);
  }
  return match[1];
};
const cdkVersion = process.argv[2] ?? floorOf(own.peerDependencies['aws-cdk-lib']);
const constructsVersion = process.argv[3] ?? floorOf(own.peerDependencies.constructs);
const keep = process.env.KEEP_PEER_FLOOR_DIR === '1';
// Versions outside the declared range (a search for the floor) would be refused as a peer conflict.
const probing = process.argv.length > 2;

const npm = (args, cwd) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
// Failures throw, so that the `finally` below removes the temporary app (its node_modules are ~200 MB).
const fail = (what, result) => {
  throw new Error(`${what} failed (exit ${result.status})\n${result.stdout ?? ''}${result.stderr ?? ''}`);
};
const transpile = (text) => ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;

const work = mkdtempSync(join(tmpdir(), 'byoasn-peer-'));
try {
  if (!existsSync(join(root, 'assets', 'handler', 'index.js')) || !existsSync(join(root, 'lib', 'index.js'))) {
    throw new Error('the library is not built: run `npm run build` first');
  }
  // Pack as the registry would get it (without running `prepare` again: the build above is current).
  const packed = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', work], root);
  if (packed.status !== 0) fail('npm pack', packed);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'peer-floor-consumer',
    private: true,
    dependencies: {
      'aws-cdk-lib': cdkVersion,
      constructs: constructsVersion,
      'cdk-ipam-byoasn': `file:../${tarball}`,
    },
  }, null, 2));
  const installed = npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error', ...(probing ? ['--legacy-peer-deps'] : [])], app);
  if (installed.status !== 0) fail(`npm install aws-cdk-lib@${cdkVersion} constructs@${constructsVersion}`, installed);

  // The example app, as a consumer writes it: the library imported by its package name. The same app also runs
  // against this repository's own aws-cdk-lib, for reference: an older aws-cdk-lib ignores a property it does
  // not know yet (JavaScript has no excess-property check), so synthesizing is not enough; the two apps must
  // add the same resources.
  const reference = join(work, 'reference');
  mkdirSync(reference);
  for (const file of readdirSync(join(root, 'example')).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(root, 'example', file), 'utf8');
    writeFileSync(join(app, file.replace(/\.ts$/, '.js')), transpile(source.replaceAll("from '../lib'", "from 'cdk-ipam-byoasn'")));
    writeFileSync(join(reference, file.replace(/\.ts$/, '.js')), transpile(source.replaceAll("from '../lib'", `from ${JSON.stringify(join(root, 'lib'))}`)));
  }
  const consumer = synthesize(app, `aws-cdk-lib@${cdkVersion}`, {});
  const expected = synthesize(reference, `aws-cdk-lib@${own.devDependencies['aws-cdk-lib']} (reference)`, { NODE_PATH: join(root, 'node_modules') });

  const differences = [];
  for (const [stack, types] of Object.entries(expected.types)) {
    for (const type of new Set([...Object.keys(types), ...Object.keys(consumer.types[stack] ?? {})])) {
      const want = types[type] ?? 0;
      const got = consumer.types[stack]?.[type] ?? 0;
      if (want !== got) differences.push(`${stack}: ${got} ${type} (the reference has ${want})`);
    }
  }
  if (!consumer.runtimes.every((r) => r === 'nodejs24.x')) differences.push(`handler runtimes ${consumer.runtimes.join(', ')}`);
  if (differences.length > 0) {
    throw new Error(`aws-cdk-lib@${cdkVersion} synthesizes the example differently:\n  ${differences.join('\n  ')}`);
  }
  process.stdout.write(`peer floor: aws-cdk-lib@${cdkVersion} + constructs@${constructsVersion} beside the packed library synthesize the example's ${Object.keys(consumer.types).length} stacks with the same ${consumer.total} resources as aws-cdk-lib@${own.devDependencies['aws-cdk-lib']}\n`);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
} finally {
  if (keep) {
    process.stdout.write(`kept ${work}\n`);
  } else {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs the app in `dir`; answers each stack's resource counts by type and the Lambda runtimes. */
function synthesize(dir, label, env) {
  const out = join(dir, 'cdk.out');
  const synth = spawnSync(process.execPath, ['app.js'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env, CDK_OUTDIR: out } });
  if (synth.status !== 0) fail(`synth on ${label}`, synth);
  const types = {};
  const runtimes = [];
  let total = 0;
  for (const file of readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const counts = {};
    for (const resource of Object.values(JSON.parse(readFileSync(join(out, file), 'utf8')).Resources ?? {})) {
      counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
      total += 1;
      if (resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler?.startsWith('index.')) {
        runtimes.push(resource.Properties.Runtime);
      }
    }
    types[file.replace('.template.json', '')] = counts;
  }
  return { types, runtimes, total };
}
