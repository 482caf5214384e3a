// Compiles a copy of lib/ with jsii, so that the public API is checked against jsii's rules (no union types,
// generics or index signatures in exported types, and so on) without jsii taking over the project's own build.
// Prints jsii's output; exits with jsii's status.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'byoasn-jsii-'));
try {
  cpSync(join(root, 'lib'), join(work, 'lib'), {
    recursive: true,
    filter: (src) => !src.endsWith('.js') && !src.endsWith('.d.ts'),
  });
  cpSync(join(root, 'README.md'), join(work, 'README.md'));
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const peer = own.peerDependencies;
  writeFileSync(join(work, 'package.json'), JSON.stringify({
    name: own.name,
    version: own.version,
    description: own.description,
    license: own.license,
    author: { name: 'cdk-ipam-byoasn authors', organization: false },
    repository: { type: 'git', url: 'https://example.invalid/cdk-ipam-byoasn.git' },
    main: 'lib/index.js',
    types: 'lib/index.d.ts',
    peerDependencies: peer,
    // jsii wants the dev dependency at the lowest version of the peer range; the check is about the API
    // shape, so the installed version stands in for it.
    devDependencies: {
      'aws-cdk-lib': own.devDependencies['aws-cdk-lib'],
      constructs: own.devDependencies.constructs,
      '@types/node': own.devDependencies['@types/node'],
    },
    jsii: { outdir: 'dist', targets: {}, tsc: { outDir: 'lib', rootDir: 'lib' } },
  }, null, 2));
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'jsii', 'bin', 'jsii'), '--silence-warnings=metadata/missing-dev-dependency'], {
    cwd: work,
    encoding: 'utf8',
  });
  process.stdout.write(result.stdout.split('\n').filter((l) => !l.startsWith('!!')).join('\n'));
  process.stderr.write(result.stderr.split('\n').filter((l) => !l.startsWith('!!')).join('\n'));
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
