export * from './ipam-byoasn';
export * from './byoasn-cidr-association';
export * from './provider-options';
export * from './authorization';
