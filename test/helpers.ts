import { App, Stack } from 'aws-cdk-lib';

/** The account every test stack deploys to (so that synth-time account checks run). */
export const ACCOUNT = '123456789012';

/** A signature of the right alphabet and length (344 characters, as a 2048-bit key gives). */
export const SIGNATURE = `${'Ab0-~'.repeat(68)}A1__`;

/** An authorization message for `asn`, valid until the end of 2099. */
export function asnMessage(asn: number | string, account = ACCOUNT, expiry = '20991231'): string {
  return `1|aws|${account}|${asn}|${expiry}|SHA256|RSAPSS`;
}

/** A fresh stack in a known environment. */
export function newStack(id = 'Stack', app = new App()): Stack {
  return new Stack(app, id, { env: { account: ACCOUNT, region: 'us-east-1' } });
}

/** An IPAM id of the right form. */
export const IPAM_ID = 'ipam-0123456789abcdef0';
