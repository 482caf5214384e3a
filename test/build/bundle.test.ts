import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDLER_ASSET_DIR } from '../../lib/private/provider';

const ROOT = join(__dirname, '..', '..');

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('the handler bundle', () => {
  const bundle = join(HANDLER_ASSET_DIR, 'index.js');

  test('exists after the build and exports both entry points', () => {
    expect(existsSync(bundle)).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = require(bundle);
    expect(typeof handler.onEvent).toBe('function');
    expect(typeof handler.isComplete).toBe('function');
  });

  test('is self-contained: it loads where no node_modules can be reached, as on Lambda', () => {
    const alone = mkdtempSync(join(tmpdir(), 'byoasn-bundle-'));
    try {
      cpSync(bundle, join(alone, 'index.js'));
      const out = execFileSync(process.execPath, ['-e', 'const h = require("./index.js"); console.log(typeof h.onEvent, typeof h.isComplete)'], {
        cwd: alone,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.trim()).toBe('function function');
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });

  test('is the same, byte for byte, when built from another directory (deterministic asset hash)', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'byoasn-clone-'));
    try {
      for (const dir of ['lib', 'lambda', 'scripts']) {
        cpSync(join(ROOT, dir), join(elsewhere, dir), { recursive: true });
      }
      for (const file of ['package.json', 'tsconfig.json']) {
        cpSync(join(ROOT, file), join(elsewhere, file));
      }
      symlinkSync(join(ROOT, 'node_modules'), join(elsewhere, 'node_modules'), 'dir');
      execFileSync(process.execPath, [join(elsewhere, 'scripts', 'bundle-handler.mjs')], { cwd: elsewhere, stdio: 'pipe' });
      expect(sha256(join(elsewhere, 'assets', 'handler', 'index.js'))).toBe(sha256(bundle));
      expect(sha256(join(elsewhere, 'assets', 'handler', 'THIRD-PARTY-NOTICES.md'))).toBe(sha256(join(HANDLER_ASSET_DIR, 'THIRD-PARTY-NOTICES.md')));
      expect(readFileSync(bundle, 'utf8')).not.toContain(ROOT);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('ships a third-party notice: every bundled package, its version and license text', () => {
    const notice = readFileSync(join(HANDLER_ASSET_DIR, 'THIRD-PARTY-NOTICES.md'), 'utf8');
    const listed = [...notice.matchAll(/^- (\S+) (\S+) \(([^)]+)\)$/gm)];
    expect(notice).toContain(`contains code of the following ${listed.length} packages`);
    const names = listed.map((m) => m[1]);
    for (const name of ['@aws-sdk/client-ec2', '@aws-sdk/client-cloudformation', '@aws-lambda-powertools/logger', '@smithy/core']) {
      expect(names).toContain(name);
      const version = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect(listed.find((m) => m[1] === name)?.[2]).toBe(version);
    }
    expect(notice).toContain('Apache License');
    expect(notice).toContain('MIT');
  });
});
