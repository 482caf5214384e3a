import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { ByoipExampleStack } from '../../example/byoip-example-stack';
import { ExampleStack } from '../../example/example-stack';

/** A CloudFormation resource as it stands in a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** A synthesized template. */
export interface Template {
  readonly Resources: Record<string, TemplateResource>;
}

/** One stack of a synthesized cloud assembly, and the handler bundle its provider functions run. */
export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: Template;
  /** The handler file of the asset the template's onEvent/isComplete functions reference, inside cdk.out. */
  readonly handlerFile: string;
}

/**
 * Synthesizes a stack into a fresh cdk.out and reads back what a deployment would use: the template, and the
 * staged asset the handler functions point at (the code that ships, not the TypeScript source).
 */
export function synthesize(build: (app: App) => Stack): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'byoasn-cdk-out-'));
  // The CLI sets this; it makes the template say which asset directory each function runs.
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = build(app);
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as Template;
  const handlers = Object.values(template.Resources).filter((r) =>
    r.Type === 'AWS::Lambda::Function' && /^index\.(onEvent|isComplete)$/.test(String(r.Properties?.Handler)));
  const assetPaths = new Set(handlers.map((r) => String(r.Metadata?.['aws:asset:path'])));
  if (handlers.length !== 2 || assetPaths.size !== 1) {
    throw new Error(`expected the onEvent and isComplete functions of one asset, found ${handlers.length} functions of ${assetPaths.size} assets`);
  }
  return { stackName: stack.stackName, template, handlerFile: join(outdir, [...assetPaths][0], 'index.js') };
}

/** The BYOIP CIDRs of the example app, which must exist before its ASN can be associated with them. */
export const EXAMPLE_CIDRS = ['203.0.113.0/24', '2001:db8:1000::/48'];

/** The example app of cdk.json, synthesized. */
export function synthesizeExample(): SynthesizedStack {
  return synthesize((app) => new ExampleStack(app, 'ByoasnExample'));
}

/** The address ranges that the BYOIP example app brings itself (ByoipCidr resources): seeded nowhere. */
export const BYOIP_EXAMPLE_CIDRS = ['198.51.100.0/24', '2001:db8:2000::/48'];

/** The second stack of the example app, ByoipExample: ranges, ASN, associations, advertisement. */
export function synthesizeByoipExample(): SynthesizedStack {
  return synthesize((app) => new ByoipExampleStack(app, 'ByoipExample'));
}
