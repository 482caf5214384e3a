// Bundles the custom resource handler (lambda/) into assets/handler/index.js, the folder the constructs ship
// with `lambda.Code.fromAsset`. Consumers never bundle: the npm package carries the finished asset.
// Deterministic on purpose: no source maps with absolute paths, no timestamps, a fixed file name, so that
// two clean clones produce the same asset hash.
//
// Two plugins keep out of the bundle what the handler never runs (scripts/bench/bundle-steps.mjs measures each;
// README "Benchmarks"):
// - `schemaKeys`: the SDK clients' schemas (@aws-sdk/client-*/dist-es/schemas/schemas_0.js) write their trait
//   keys as computed keys of string constants (`{ [_xN]: _II }`). esbuild cannot prove such an object free of
//   side effects, so it kept every schema of the 700 EC2 operations (550 KB) for the 10 the handler calls.
//   Writing the constant's value as a literal key (`{ "xmlName": _II }`) is the same object, and lets esbuild
//   drop what no command reaches.
// - `lambdaCredentials`: the SDK's default credential chain also reads profiles (SSO, ini files, credential
//   processes, web identity token files, console login) through bundled STS, SSO and sign-in clients. A Lambda
//   function gets its role's credentials in the environment (AWS_ACCESS_KEY_ID, ...); the chain here reads the
//   environment, then the container and instance metadata endpoints, as the default chain does after the profiles.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The schema files of the SDK clients (and of the nested clients, for completeness). */
const SCHEMA_FILE = /[\\/]@aws-sdk[\\/](client-[a-z0-9-]+|nested-clients)[\\/]dist-es[\\/](submodules[\\/][a-z0-9-]+[\\/])?schemas[\\/]schemas_\d+\.js$/;

/** See the file comment. Fails the build when a schema file no longer has the layout this relies on. */
export const schemaKeys = {
  name: 'schema-keys',
  setup(b) {
    b.onLoad({ filter: SCHEMA_FILE }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const constants = new Map([...source.matchAll(/^const (_[A-Za-z0-9_]+) = ("[^"\\]*");$/gm)].map((m) => [m[1], m[2]]));
      let replaced = 0;
      const contents = source.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (key, name) => {
        const value = constants.get(name);
        if (value === undefined) {
          return key;
        }
        replaced++;
        return `${value}:`;
      });
      if (constants.size === 0 || (replaced === 0 && /\[_[A-Za-z0-9_]+\]:/.test(source))) {
        throw new Error(`schema-keys: ${args.path} no longer declares its keys as string constants; check the plugin against this SDK version.`);
      }
      return { contents, loader: 'js' };
    });
  },
};

/** The credential chain of a Lambda function; it replaces `@aws-sdk/credential-provider-node` (see the file comment). */
const LAMBDA_CREDENTIALS = `
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { CredentialsProviderError } from '@smithy/core/config';
import { remoteProvider } from '@aws-sdk/credential-provider-node/dist-es/remoteProvider.js';
import { memoizeChain } from '@aws-sdk/credential-provider-node/dist-es/runtime/memoize-chain.js';
export const credentialsWillNeedRefresh = (c) => c?.expiration !== undefined;
export const credentialsTreatedAsExpired = (c) => c?.expiration !== undefined && c.expiration.getTime() - Date.now() < 300000;
export const defaultProvider = (init = {}) => memoizeChain([
  async () => fromEnv(init)(),
  async () => (await remoteProvider(init))(),
  async () => { throw new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false, logger: init.logger }); },
], credentialsTreatedAsExpired);
`;

/** See the file comment. */
export const lambdaCredentials = {
  name: 'lambda-credentials',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: 'lambda-credentials', namespace: 'lambda-credentials' }));
    b.onLoad({ filter: /.*/, namespace: 'lambda-credentials' }, () => ({ contents: LAMBDA_CREDENTIALS, resolveDir: root, loader: 'js' }));
  },
};

/** The esbuild options of the handler bundle; `plugins` defaults to both plugins above. */
export function handlerBuildOptions({ outfile = join(root, 'assets', 'handler', 'index.js'), plugins = [schemaKeys, lambdaCredentials] } = {}) {
  return {
    absWorkingDir: root,
    entryPoints: ['lambda/index.ts'],
    outfile,
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
    plugins,
    logLevel: 'warning',
  };
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const outdir = join(root, 'assets', 'handler');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({ ...handlerBuildOptions(), metafile: true });
  writeFileSync(join(outdir, 'THIRD-PARTY-NOTICES.md'), thirdPartyNotices(result.metafile));
}

/**
 * The notice that ships beside the bundle: every package whose code is in it, with its version, its license and
 * the text of its license (and NOTICE) files. Minified, the bundle keeps none of their comments.
 */
export function thirdPartyNotices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match && !packages.has(match[1])) {
      packages.set(match[1], JSON.parse(readFileSync(join(root, match[1], 'package.json'), 'utf8')));
    }
  }
  // Identical license texts (most of the SDK's packages carry the same Apache-2.0 file) are printed once, after
  // the list of the packages they cover.
  const byText = new Map();
  for (const [dir, pkg] of [...packages.entries()].sort(([, a], [, b]) => a.name.localeCompare(b.name))) {
    const texts = readdirSync(join(root, dir))
      .filter((f) => /^(licen[cs]e|notice)(\.(md|txt))?$/i.test(f))
      .sort()
      .map((f) => '```\n' + readFileSync(join(root, dir, f), 'utf8').trim() + '\n```');
    const license = typeof pkg.license === 'string' ? pkg.license : 'see the text';
    const text = texts.length > 0 ? texts.join('\n\n') : `(these packages ship no license file; their package.json declares ${license})`;
    const list = byText.get(text) ?? [];
    list.push(`- ${pkg.name} ${pkg.version} (${license})`);
    byText.set(text, list);
  }
  return [
    '# Third-party notices',
    '',
    `The handler bundle (index.js beside this file) contains code of the following ${packages.size} packages, under`,
    'the licenses that follow each group.',
    '',
    ...[...byText.entries()].flatMap(([text, list]) => [...list, '', text, '']),
  ].join('\n');
}
