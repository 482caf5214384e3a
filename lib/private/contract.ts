/**
 * The contract between the constructs (which write custom resource properties into the template) and the
 * handler in lambda/ (which reads them back). Both sides import this one module, so a renamed property or
 * attribute is a compile error instead of a silent mismatch.
 *
 * CloudFormation delivers every property value to the handler as a string: numbers and booleans are written
 * as strings here and parsed back by the handler.
 */

/** CloudFormation type of the resource behind `IpamByoasn`. */
export const BYOASN_RESOURCE_TYPE = 'Custom::IpamByoasn';

/** CloudFormation type of the resource behind `ByoasnCidrAssociation`. */
export const ASSOCIATION_RESOURCE_TYPE = 'Custom::ByoasnCidrAssociation';

/** CloudFormation type of the resource behind `ByoipCidr`. */
export const BYOIP_CIDR_RESOURCE_TYPE = 'Custom::ByoipCidr';

/** CloudFormation type of the resource behind `ByoipCidrAdvertisement`. */
export const ADVERTISEMENT_RESOURCE_TYPE = 'Custom::ByoipCidrAdvertisement';

/** Properties of `Custom::IpamByoasn`, as the handler receives them. */
export interface ByoasnResourceProperties {
  /** The IPAM's id, e.g. `ipam-0123456789abcdef0`. */
  readonly IpamId: string;
  /** The ASN in asplain notation, as a decimal string. */
  readonly Asn: string;
  /** The signed authorization message (`1|aws|ACCOUNT|ASN|YYYYMMDD|SHA256|RSAPSS`). */
  readonly AuthorizationMessage: string;
  /** The message's signature. Never logged, never returned in `Data`. */
  readonly AuthorizationSignature: string;
  /** `'true'` to take over an ASN that is already provisioned in this IPAM. */
  readonly AdoptExisting: string;
}

/** Properties of `Custom::ByoasnCidrAssociation`, as the handler receives them. */
export interface AssociationResourceProperties {
  /** The ASN in asplain notation, as a decimal string. */
  readonly Asn: string;
  /** The BYOIP CIDR to associate with the ASN. */
  readonly Cidr: string;
  /** `'true'` to take over an association that already exists. */
  readonly AdoptExisting: string;
}

/** Properties of `Custom::ByoipCidr`, as the handler receives them. */
export interface ByoipCidrResourceProperties {
  /** The address range, canonical. */
  readonly Cidr: string;
  /** The signed CIDR authorization message (`1|aws|ACCOUNT|CIDR|YYYYMMDD|SHA256|RSAPSS`). */
  readonly AuthorizationMessage: string;
  /** The message's signature. Never logged, never returned in `Data`. */
  readonly AuthorizationSignature: string;
  /** A description for the range; `''` for none. */
  readonly Description: string;
  /** `'true'` or `'false'`: whether AWS may advertise the range (IPv6 only may be `'false'`). */
  readonly PubliclyAdvertisable: string;
  /** The network border group; `''` for the Region's default. */
  readonly NetworkBorderGroup: string;
  /** `'true'` to wait for `provisioned`; `'false'` to complete once AWS has accepted the request. */
  readonly WaitForProvisioning: string;
  /** `'true'` to take over a range that is already provisioned. */
  readonly AdoptExisting: string;
}

/** Properties of `Custom::ByoipCidrAdvertisement`, as the handler receives them. */
export interface AdvertisementResourceProperties {
  /** The BYOIP CIDR to advertise, canonical. */
  readonly Cidr: string;
  /** The origin ASN in asplain notation, or `AWS` for Amazon's ASN. */
  readonly Asn: string;
  /** The network border group; `''` for the Region's default. */
  readonly NetworkBorderGroup: string;
  /** `'true'` to take over an advertisement that already exists with this origin. */
  readonly AdoptExisting: string;
}

/** The `Asn` of an advertisement with Amazon's ASN as the origin (AdvertiseByoipCidr takes the same word). */
export const AMAZON_ASN = 'AWS';

/** Attribute names (keys of the response `Data`) of `Custom::ByoipCidr`. */
export const BYOIP_CIDR_ATTRIBUTES = {
  CIDR: 'Cidr',
  STATE: 'State',
  STATUS_MESSAGE: 'StatusMessage',
  /** The IPv4 address pool or IPv6 pool id, which AWS puts in the StatusMessage on success; '' until then. */
  POOL_ID: 'PoolId',
} as const;

/** Attribute names (keys of the response `Data`) of `Custom::ByoipCidrAdvertisement`. */
export const ADVERTISEMENT_ATTRIBUTES = {
  CIDR: 'Cidr',
  ASN: 'Asn',
  STATE: 'State',
  STATUS_MESSAGE: 'StatusMessage',
} as const;

/** Attribute names (keys of the response `Data`) of `Custom::IpamByoasn`. */
export const BYOASN_ATTRIBUTES = {
  ASN: 'Asn',
  IPAM_ID: 'IpamId',
  STATE: 'State',
  STATUS_MESSAGE: 'StatusMessage',
} as const;

/** Attribute names (keys of the response `Data`) of `Custom::ByoasnCidrAssociation`. */
export const ASSOCIATION_ATTRIBUTES = {
  ASN: 'Asn',
  CIDR: 'Cidr',
  STATE: 'State',
  STATUS_MESSAGE: 'StatusMessage',
} as const;

/** The response `Data` of `Custom::IpamByoasn`. Every value is a string, never undefined. */
export interface ByoasnData {
  readonly Asn: string;
  readonly IpamId: string;
  readonly State: string;
  readonly StatusMessage: string;
}

/** The response `Data` of `Custom::ByoasnCidrAssociation`. Every value is a string, never undefined. */
export interface AssociationData {
  readonly Asn: string;
  readonly Cidr: string;
  readonly State: string;
  readonly StatusMessage: string;
}

/** The response `Data` of `Custom::ByoipCidr`. Every value is a string, never undefined. */
export interface ByoipCidrData {
  readonly Cidr: string;
  readonly State: string;
  readonly StatusMessage: string;
  readonly PoolId: string;
}

/** The response `Data` of `Custom::ByoipCidrAdvertisement`. Every value is a string, never undefined. */
export interface AdvertisementData {
  readonly Cidr: string;
  readonly Asn: string;
  readonly State: string;
  readonly StatusMessage: string;
}

/** Physical id of a `ByoipCidr`: the CIDR itself. */
export function byoipCidrPhysicalId(cidr: string): string {
  return cidr;
}

/** Physical id of a `ByoipCidrAdvertisement`: `<cidr>|<asn>`, with `AWS` for Amazon's ASN. */
export function advertisementPhysicalId(cidr: string, asn: string): string {
  return `${cidr}${PHYSICAL_ID_SEPARATOR}${asn}`;
}

/** Separates the parts of a physical resource id. Neither IPAM ids, ASNs nor CIDRs contain it. */
export const PHYSICAL_ID_SEPARATOR = '|';

/** Physical id of an `IpamByoasn`: `<ipamId>|<asn>`. */
export function byoasnPhysicalId(ipamId: string, asn: string): string {
  return `${ipamId}${PHYSICAL_ID_SEPARATOR}${asn}`;
}

/** Physical id of a `ByoasnCidrAssociation`: `<asn>|<cidr>`. */
export function associationPhysicalId(asn: string, cidr: string): string {
  return `${asn}${PHYSICAL_ID_SEPARATOR}${cidr}`;
}

/** Splits a two-part physical id; undefined when it is not one of ours (e.g. the provider's failure marker). */
export function splitPhysicalId(physicalId: string): [string, string] | undefined {
  const parts = physicalId.split(PHYSICAL_ID_SEPARATOR);
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return undefined;
  }
  return [parts[0], parts[1]];
}

/**
 * Environment variable of the handler functions. When `'true'`, documentation ASNs and CIDRs (RFC 5398,
 * RFC 5737, RFC 3849) are accepted at deploy time instead of refused. Meant only for emulators and tests:
 * AWS itself would refuse them.
 */
export const ALLOW_DOCUMENTATION_VALUES_ENV = 'CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES';

/** Strings CloudFormation may use for a true boolean property. */
export function parseBooleanProperty(value: unknown): boolean {
  return value === true || value === 'true';
}
