// Runs the lifecycle tests (test/lifecycle: the shipped handler bundle, driven as CloudFormation and the
// Provider framework drive it, against the EC2 emulator) once more under Node.js 24, the runtime of the
// provider's Lambda functions. The binary is the npm registry's `node` package, a dev dependency; the rest of
// `npm test` runs on the machine's Node.js, the lowest the library and its CLI support.
//
//   node scripts/test-node24.mjs [jest arguments]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node24 = join(root, 'node_modules', 'node', 'bin', 'node');
if (!existsSync(node24)) {
  process.stderr.write('node_modules/node is missing: run `npm ci` (the `node` dev dependency brings Node.js 24)\n');
  process.exit(1);
}
const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!version.startsWith('v24.')) {
  process.stderr.write(`node_modules/node runs ${version || 'nothing'}, not Node.js 24: check the \`node\` dev dependency\n`);
  process.exit(1);
}
process.stdout.write(`Lifecycle tests under Node.js ${version} (the Lambda runtime nodejs24.x):\n`);
const extra = process.argv.slice(2);
const jest = spawnSync(node24, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--silent', ...(extra.length > 0 ? extra : ['test/lifecycle'])], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(jest.status ?? 1);
