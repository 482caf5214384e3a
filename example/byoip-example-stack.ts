import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ByoipCidr, ByoipCidrAdvertisement, IpamByoasn } from '../lib';

/** A placeholder of the signature's alphabet; `cdk-ipam-byoasn sign` prints the real one. */
const PLACEHOLDER_SIGNATURE = 'REPLACE-with-the-signature-printed-by-cdk-ipam-byoasn-sign__';

/**
 * The whole flow in one stack: two address ranges brought to AWS (IPv4 and IPv6), an IPAM with your ASN, the
 * ASN associated with both ranges, and the IPv4 range advertised to the internet with your ASN as its origin.
 * `cdk destroy` takes it all back in reverse: withdraw, disassociate, then deprovision the ASN and the ranges.
 *
 * It uses documentation values (ASN 64497, RFC 5737 and RFC 3849 prefixes), so it synthesizes with warnings;
 * AWS would refuse them. Replace them with your own ASN, ranges and the output of `cdk-ipam-byoasn sign`
 * (`--asn` for the ASN, `--cidr` for each range). Its values differ from `ByoasnExample`'s, so that both
 * stacks can be deployed side by side.
 */
export class ByoipExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const ipv4 = new ByoipCidr(this, 'Ipv4Range', {
      cidr: '198.51.100.0/24',
      authorizationContext: {
        message: '1|aws|123456789012|198.51.100.0/24|20991231|SHA256|RSAPSS',
        signature: PLACEHOLDER_SIGNATURE,
      },
      description: 'IPv4 range brought by the example',
    });
    const ipv6 = new ByoipCidr(this, 'Ipv6Range', {
      cidr: '2001:db8:2000::/48',
      authorizationContext: {
        message: '1|aws|123456789012|2001:db8:2000::/48|20991231|SHA256|RSAPSS',
        signature: PLACEHOLDER_SIGNATURE,
      },
      description: 'IPv6 range brought by the example',
    });

    const ipam = new ec2.CfnIPAM(this, 'Ipam', {
      operatingRegions: [{ regionName: this.region }],
    });

    const asn = new IpamByoasn(this, 'Asn', {
      ipamId: ipam.attrIpamId,
      asn: 64497,
      authorizationContext: {
        message: '1|aws|123456789012|64497|20991231|SHA256|RSAPSS',
        signature: PLACEHOLDER_SIGNATURE,
      },
    });

    // Each association depends on its range and on the ASN: created after both, deleted before either.
    asn.associateByoipCidr('Ipv4', ipv4);
    asn.associateByoipCidr('Ipv6', ipv6);

    // Depends on the IPv4 association: advertised after it, withdrawn before it.
    new ByoipCidrAdvertisement(this, 'Ipv4Advertisement', { byoipCidr: ipv4, byoasn: asn });
  }
}
