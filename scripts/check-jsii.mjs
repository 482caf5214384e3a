// Compiles a copy of lib/ with jsii, so that the public API is checked against jsii's rules (no union types,
// generics or index signatures in exported types, and so on) without jsii taking over the project's own build.
// jsii itself refuses generics but accepts union types and maps (index signatures); the house rule refuses
// those too, so the assembly jsii writes is walked for them afterwards.
// Every exported type and member must carry documentation. Then jsii-docgen writes the API reference from the
// assembly, which must equal the committed API.md (`--update` writes it instead).
// Prints jsii's output and any violation; exits non-zero on either.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
    author: own.author,
    repository: own.repository,
    homepage: own.homepage,
    stability: own.stability,
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
    // The real configuration, targets included: jsii checks their names and packages.
    jsii: own.jsii,
  }, null, 2));
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'jsii', 'bin', 'jsii'), '--silence-warnings=metadata/missing-dev-dependency'], {
    cwd: work,
    encoding: 'utf8',
  });
  process.stdout.write(result.stdout.split('\n').filter((l) => !l.startsWith('!!')).join('\n'));
  process.stderr.write(result.stderr.split('\n').filter((l) => !l.startsWith('!!')).join('\n'));
  const assembly = result.status === 0 ? JSON.parse(readFileSync(join(work, '.jsii'), 'utf8')) : undefined;
  const violations = assembly ? [...houseRuleViolations(assembly), ...targetViolations(assembly)] : [];
  for (const violation of violations) {
    process.stderr.write(`error: ${violation}\n`);
  }
  process.stdout.write(`\nHouse rules (no unions, no index signatures; four jsii targets named): ${violations.length} violation(s)\n`);
  const undocumented = assembly ? undocumentedMembers(assembly) : [];
  for (const member of undocumented) {
    process.stderr.write(`error: ${member} has no documentation\n`);
  }
  process.stdout.write(`Documentation: ${undocumented.length} undocumented public type(s) or member(s)\n`);
  const apiCurrent = assembly ? checkApiReference(work) : false;
  process.exitCode = result.status === 0 && violations.length === 0 && undocumented.length === 0 && apiCurrent ? 0 : 1;
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

/**
 * jsii copies the targets into the assembly without checking them (jsii-pacmak, which builds the packages, needs
 * each language's toolchain and registry, so it is not run here): check that each of the four is there with
 * names its language accepts.
 */
function targetViolations(assembly) {
  const t = assembly.targets ?? {};
  const rules = [
    ['python.distName', t.python?.distName, /^[a-z0-9]+(-[a-z0-9]+)*$/],
    ['python.module', t.python?.module, /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/],
    ['java.package', t.java?.package, /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/],
    ['java.maven.groupId', t.java?.maven?.groupId, /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/],
    ['java.maven.artifactId', t.java?.maven?.artifactId, /^[a-z][a-z0-9-]*$/],
    ['dotnet.namespace', t.dotnet?.namespace, /^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*$/],
    ['dotnet.packageId', t.dotnet?.packageId, /^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*$/],
    ['go.moduleName', t.go?.moduleName, /^[a-z0-9.-]+\.[a-z]+(\/[A-Za-z0-9._-]+)+$/],
  ];
  return rules.filter(([, value, pattern]) => typeof value !== 'string' || !pattern.test(value))
    .map(([name, value]) => `jsii target ${name} is ${value === undefined ? 'missing' : JSON.stringify(value)}`);
}

/** Every public type, property, method, parameter and enum member of the assembly without a doc summary. */
function undocumentedMembers(assembly) {
  const missing = [];
  const check = (docs, where) => {
    if (!docs?.summary?.trim()) missing.push(where);
  };
  for (const [fqn, type] of Object.entries(assembly.types ?? {})) {
    check(type.docs, fqn);
    for (const property of type.properties ?? []) {
      check(property.docs, `${fqn}.${property.name}`);
    }
    for (const member of type.members ?? []) {
      check(member.docs, `${fqn}.${member.name}`);
    }
    for (const method of type.methods ?? []) {
      check(method.docs, `${fqn}.${method.name}()`);
    }
    for (const method of [...(type.methods ?? []), ...(type.initializer ? [type.initializer] : [])]) {
      for (const parameter of method.parameters ?? []) {
        // Construct initializers take (scope, id, props), as every construct does: their meaning is the
        // framework's, and jsii-docgen documents them from the types.
        if (method.name === undefined && ['scope', 'id'].includes(parameter.name)) continue;
        check(parameter.docs, `${fqn}.${method.name ?? 'constructor'}(${parameter.name})`);
      }
    }
  }
  return missing;
}

/** Writes the API reference from the assembly in `work`; compares it with API.md, or replaces API.md with `--update`. */
function checkApiReference(work) {
  const docgen = spawnSync(process.execPath, [join(root, 'node_modules', 'jsii-docgen', 'bin', 'jsii-docgen'), '--output', 'API.md'], {
    cwd: work,
    encoding: 'utf8',
  });
  if (docgen.status !== 0) {
    process.stderr.write(`jsii-docgen failed (exit ${docgen.status})\n${docgen.stdout}${docgen.stderr}\n`);
    return false;
  }
  const fresh = readFileSync(join(work, 'API.md'), 'utf8');
  const committed = join(root, 'API.md');
  if (process.argv.includes('--update')) {
    writeFileSync(committed, fresh);
    process.stdout.write('API.md: written\n');
    return true;
  }
  const current = existsSync(committed) && readFileSync(committed, 'utf8') === fresh;
  process.stdout.write(current ? 'API.md: current\n' : 'API.md: out of date with the public API; run `npm run docgen` and commit API.md\n');
  return current;
}
