import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ByoasnCidrAssociation, IpamByoasn } from '../lib';

/**
 * The example of the README: an IPAM, one ASN and two associations (IPv4 and IPv6).
 *
 * It uses documentation values (ASN 64496, RFC 5737 and RFC 3849 prefixes), so it synthesizes with warnings;
 * AWS would refuse them. Replace them with your own ASN, CIDRs and the output of `cdk-ipam-byoasn sign`.
 */
export class ExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const ipam = new ec2.CfnIPAM(this, 'Ipam', {
      operatingRegions: [{ regionName: this.region }],
    });

    const asn = new IpamByoasn(this, 'Asn', {
      ipamId: ipam.attrIpamId,
      asn: 64496,
      authorizationContext: {
        message: '1|aws|123456789012|64496|20271231|SHA256|RSAPSS',
        // A placeholder of the right alphabet; `cdk-ipam-byoasn sign` prints the real one.
        signature: 'REPLACE-with-the-signature-printed-by-cdk-ipam-byoasn-sign__',
      },
    });

    asn.associateCidr('Ipv4', '203.0.113.0/24');
    new ByoasnCidrAssociation(this, 'Ipv6', { byoasn: asn, cidr: '2001:db8:1000::/48' });
  }
}
