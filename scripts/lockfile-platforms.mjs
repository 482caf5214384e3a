// npm records in package-lock.json only the platform-specific optional binaries it could fetch (npm/cli#4828),
// and the registry reachable from this project's machines does not serve some of them (other operating
// systems' builds of @swc/core and unrs-resolver). `npm ci` then refuses the lock as out of sync.
//
//   node scripts/lockfile-platforms.mjs          checks that every optional dependency has a lock record
//   node scripts/lockfile-platforms.mjs --fix    adds the missing records (version, os, cpu, libc, optional)
//
// The added records carry no integrity: npm skips them by os/cpu/libc on every platform they do not match,
// and fetches them from the registry on the platform they do. Run --fix after any `npm install` that
// rewrote the lock.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'loong64', 'riscv64'];

const missing = [];
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    if (!(`node_modules/${name}` in lock.packages)) {
      missing.push([name, version]);
    }
  }
}

if (!process.argv.includes('--fix')) {
  if (missing.length > 0) {
    console.error(`package-lock.json lacks ${missing.length} optional platform package(s), so \`npm ci\` will refuse it: `
      + `${missing.map(([n, v]) => `${n}@${v}`).join(', ')}.\nRun: node scripts/lockfile-platforms.mjs --fix`);
    process.exitCode = 1;
  } else {
    console.log('package-lock.json records every optional platform package.');
  }
} else {
  for (const [name, version] of missing) {
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS.includes(p));
    const cpu = parts.find((p) => CPU.includes(p));
    if (!os || !cpu) {
      throw new Error(`cannot tell the platform of ${name} from its name; add its record by hand`);
    }
    const record = { version, cpu: [cpu], os: [os] };
    if (os === 'linux') {
      record.libc = [parts[parts.length - 1].startsWith('musl') ? 'musl' : 'glibc'];
    }
    record.optional = true;
    lock.packages[`node_modules/${name}`] = record;
  }
  const [root, ...rest] = Object.entries(lock.packages);
  lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => a.localeCompare(b))]);
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${missing.length} record(s) to package-lock.json`);
}
