// Compiles a copy of lib/ with jsii, so that the public API is checked against jsii's rules (no union types,
// generics or index signatures in exported types, and so on) without jsii taking over the project's own build.
// jsii itself refuses generics but accepts union types and maps (index signatures); the house rule refuses
// those too, so the assembly jsii writes is walked for them afterwards.
// Prints jsii's output and any violation; exits non-zero on either.
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
  const violations = result.status === 0 ? houseRuleViolations(JSON.parse(readFileSync(join(work, '.jsii'), 'utf8'))) : [];
  for (const violation of violations) {
    process.stderr.write(`error: ${violation}\n`);
  }
  process.stdout.write(`\nHouse rules (no unions, no index signatures): ${violations.length} violation(s)\n`);
  process.exitCode = result.status === 0 && violations.length === 0 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Every union type and map (index signature) used by an exported type of the assembly. */
function houseRuleViolations(assembly) {
  const found = [];
  const visit = (ref, where) => {
    if (ref === undefined || ref === null || typeof ref !== 'object') {
      return;
    }
    if (ref.union) {
      found.push(`${where} is a union type`);
    }
    if (ref.collection?.kind === 'map') {
      found.push(`${where} is a map (index signature)`);
    }
    for (const value of Object.values(ref)) {
      visit(value, where);
    }
  };
  for (const [fqn, type] of Object.entries(assembly.types ?? {})) {
    for (const property of type.properties ?? []) {
      visit(property.type, `${fqn}.${property.name}`);
    }
    for (const method of [...(type.methods ?? []), ...(type.initializer ? [type.initializer] : [])]) {
      const name = `${fqn}.${method.name ?? 'constructor'}`;
      visit(method.returns?.type, `${name} (return type)`);
      for (const parameter of method.parameters ?? []) {
        visit(parameter.type, `${name}(${parameter.name})`);
      }
    }
  }
  return found;
}
