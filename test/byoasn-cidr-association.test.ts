import { App, CfnParameter, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ByoasnCidrAssociation, IpamByoasn } from '../lib';
import { IPAM_ID, SIGNATURE, asnMessage, newStack } from './helpers';


function stackWithAsn() {
  const stack = newStack();
  const asn = new IpamByoasn(stack, 'Asn', {
    ipamId: IPAM_ID,
    asn: 64500,
    authorizationContext: { message: asnMessage(64500), signature: SIGNATURE },
  });
  return { stack, asn };
}

describe('ByoasnCidrAssociation', () => {
  test('writes the properties and depends on the ASN resource, so that it is deleted first', () => {
    const { stack, asn } = stackWithAsn();
    const association = new ByoasnCidrAssociation(stack, 'V6', { byoasn: asn, cidr: '2a05:d000::/48' });
    expect(association.asn).toBe(64500);
    expect(association.cidr).toBe('2a05:d000::/48');
    const template = Template.fromStack(stack);
    const [asnLogicalId] = Object.keys(template.findResources('Custom::IpamByoasn'));
    template.hasResource('Custom::ByoasnCidrAssociation', {
      Properties: { ServiceToken: Match.anyValue(), Asn: '64500', Cidr: '2a05:d000::/48', AdoptExisting: 'false' },
      DependsOn: [asnLogicalId],
      DeletionPolicy: 'Delete',
    });
  });

  test('exposes state and status message attributes', () => {
    const { stack, asn } = stackWithAsn();
    const association = new ByoasnCidrAssociation(stack, 'V4', { byoasn: asn, cidr: '8.8.8.0/24' });
    const [logicalId] = Object.keys(Template.fromStack(stack).findResources('Custom::ByoasnCidrAssociation'));
    expect(stack.resolve(association.associationState)).toEqual({ 'Fn::GetAtt': [logicalId, 'State'] });
    expect(stack.resolve(association.associationStatusMessage)).toEqual({ 'Fn::GetAtt': [logicalId, 'StatusMessage'] });
  });

  test('retains the association with RemovalPolicy.RETAIN', () => {
    const { stack, asn } = stackWithAsn();
    new ByoasnCidrAssociation(stack, 'V4', { byoasn: asn, cidr: '8.8.8.0/24', removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource('Custom::ByoasnCidrAssociation', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('grants the association calls, on * since they have no resource type', () => {
    const { stack, asn } = stackWithAsn();
    new ByoasnCidrAssociation(stack, 'V4', { byoasn: asn, cidr: '8.8.8.0/24' });
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['ec2:AssociateIpamByoasn', 'ec2:DisassociateIpamByoasn', 'ec2:DescribeByoipCidrs'],
          Effect: 'Allow',
          Resource: '*',
        }]),
      },
    }, 2);
  });

  describe('one declaration per ASN and CIDR in an app', () => {
    test('refuses a second association of the same ASN and CIDR in another stack, naming both', () => {
      const app = new App();
      const one = newStack('One', app);
      const asn = new IpamByoasn(one, 'Asn', { ipamId: IPAM_ID, asn: 64500, authorizationContext: { message: asnMessage(64500), signature: SIGNATURE } });
      asn.associateCidr('Prefix', '8.8.8.0/24');
      const two = newStack('Two', app);
      const imported = IpamByoasn.fromIpamByoasnAttributes(two, 'Imported', { ipamId: IPAM_ID, asn: 64500 });
      expect(() => new ByoasnCidrAssociation(two, 'Prefix', { byoasn: imported, cidr: '8.8.8.0/24' })).toThrow(
        "Two/Prefix: asn 64500 and cidr '8.8.8.0/24' are already declared by the ByoasnCidrAssociation at One/Asn/Prefix. Two declarations of one ByoasnCidrAssociation would both own it: CloudFormation creates them independently, and deleting either disassociates the CIDR from under the other. Declare it once in the app and reference that construct wherever it is needed.",
      );
      Template.fromStack(two).resourceCountIs('Custom::ByoasnCidrAssociation', 0);
    });

    test('refuses a second association in the same stack', () => {
      const { stack, asn } = stackWithAsn();
      asn.associateCidr('Prefix', '8.8.8.0/24');
      expect(() => new ByoasnCidrAssociation(stack, 'Again', { byoasn: asn, cidr: '8.8.8.0/24' }))
        .toThrow("Stack/Again: asn 64500 and cidr '8.8.8.0/24' are already declared by the ByoasnCidrAssociation at Stack/Asn/Prefix.");
    });

    test('accepts another CIDR, another ASN, and the same association in another app', () => {
      const { stack, asn } = stackWithAsn();
      asn.associateCidr('A', '8.8.8.0/24');
      asn.associateCidr('B', '8.8.9.0/24');
      IpamByoasn.fromIpamByoasnAttributes(stack, 'Other', { ipamId: IPAM_ID, asn: 64501 }).associateCidr('A', '8.8.8.0/24');
      stackWithAsn().asn.associateCidr('A', '8.8.8.0/24');
      Template.fromStack(stack).resourceCountIs('Custom::ByoasnCidrAssociation', 3);
    });
  });

  describe('validation', () => {
    test.each([
      ['10.0.0.0/8', "Stack/Bad: cidr '10.0.0.0/8' overlaps 10.0.0.0/8, which is private (RFC 1918)"],
      ['100.64.0.0/10', 'shared address space (RFC 6598)'],
      ['8.8.8.0/25', "Stack/Bad: cidr '8.8.8.0/25' is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)."],
      ['8.8.8.1/24', "Stack/Bad: cidr '8.8.8.1/24' has host bits set: the network address of this prefix is '8.8.8.0/24'."],
      ['2a05:d000::/57', "Stack/Bad: cidr '2a05:d000::/57' is a /57; BYOIP accepts IPv6 that is not publicly advertisable prefixes of /56 or shorter"],
      ['2A05:D000::/48', "write it as '2a05:d000::/48'"],
      ['fe80::/10', 'link-local (RFC 4291)'],
      ['not-a-cidr', "Stack/Bad: cidr 'not-a-cidr' is not an IPv4 or IPv6 CIDR"],
    ])('refuses %p', (cidr, message) => {
      const { stack, asn } = stackWithAsn();
      expect(() => new ByoasnCidrAssociation(stack, 'Bad', { byoasn: asn, cidr })).toThrow(message);
      Template.fromStack(stack).resourceCountIs('Custom::ByoasnCidrAssociation', 0);
    });

    test.each(['203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/24', '2001:db8:1000::/48'])('warns for the documentation range %p', (cidr) => {
      const { stack, asn } = stackWithAsn();
      new ByoasnCidrAssociation(stack, 'Doc', { byoasn: asn, cidr });
      Annotations.fromStack(stack).hasWarning('/Stack/Doc', Match.stringLikeRegexp('reserved for documentation'));
    });

    test('accepts a token CIDR', () => {
      const { stack, asn } = stackWithAsn();
      const cidr = new CfnParameter(stack, 'Cidr').valueAsString;
      new ByoasnCidrAssociation(stack, 'Tok', { byoasn: asn, cidr });
      Template.fromStack(stack).hasResourceProperties('Custom::ByoasnCidrAssociation', { Cidr: { Ref: 'Cidr' } });
    });
  });
});
