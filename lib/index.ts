export * from './ipam-byoasn';
export * from './byoasn-cidr-association';
export * from './provider-options';
export * from './prepare';
export * from './byoip-cidr';
export * from './byoip-cidr-advertisement';
