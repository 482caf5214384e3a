// The "prepare your ASN" half of the library: authorization messages and signatures, and the doctor that
// checks the preparation before `cdk deploy`. The `cdk-ipam-byoasn` command (cli.ts) is not part of the API.
export * from './authorization';
export * from './doctor-check';
export * from './doctor';
