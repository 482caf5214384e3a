// Bundles the custom resource handler (lambda/) into assets/handler/index.js, the folder the constructs ship
// with `lambda.Code.fromAsset`. Consumers never bundle: the npm package carries the finished asset.
// Deterministic on purpose: no source maps with absolute paths, no timestamps, a fixed file name, so that
// two clean clones produce the same asset hash.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'assets', 'handler');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: ['lambda/index.ts'],
  outfile: join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // The SDK loads a few Node built-ins with import(); as require() they work the same on Lambda and also in a
  // CommonJS sandbox without ESM support (the lifecycle tests run the bundle inside Jest's VM).
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
