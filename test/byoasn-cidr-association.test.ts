import { App, CfnParameter, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ByoasnCidrAssociation, ByoipCidr, IpamByoasn } from '../lib';
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
    }, 1);
  });

  describe('with a byoipCidr', () => {
    function addRange(stack: ReturnType<typeof newStack>, cidr = '8.8.8.0/24') {
      return new ByoipCidr(stack, 'Range', { cidr, authorizationContext: { message: asnMessage(cidr), signature: SIGNATURE } });
    }

    test('takes its CIDR and depends on the range, so that it is associated after provisioning and removed before', () => {
      const { stack, asn } = stackWithAsn();
      const range = addRange(stack);
      const association = new ByoasnCidrAssociation(stack, 'V4', { byoasn: asn, byoipCidr: range });
      expect(association.cidr).toBe('8.8.8.0/24');
      const template = Template.fromStack(stack);
      const [asnLogicalId] = Object.keys(template.findResources('Custom::IpamByoasn'));
      const [rangeLogicalId] = Object.keys(template.findResources('Custom::ByoipCidr'));
      template.hasResource('Custom::ByoasnCidrAssociation', {
        Properties: { Asn: '64500', Cidr: '8.8.8.0/24', AdoptExisting: 'false' },
        DependsOn: [asnLogicalId, rangeLogicalId].sort(),
      });
      // The range itself depends on nothing of the library.
      expect(Object.values(template.findResources('Custom::ByoipCidr'))[0].DependsOn).toBeUndefined();
    });

    test('is made by associateByoipCidr as a child of the ASN, with its options', () => {
      const { stack, asn } = stackWithAsn();
      const association = asn.associateByoipCidr('Range', addRange(stack), { adoptExisting: true, removalPolicy: RemovalPolicy.RETAIN });
      expect(association.node.path).toBe('Stack/Asn/Range');
      Template.fromStack(stack).hasResource('Custom::ByoasnCidrAssociation', {
        Properties: { Cidr: '8.8.8.0/24', AdoptExisting: 'true' },
        DeletionPolicy: 'Retain',
      });
    });

    test('depends on a range of another stack through the stacks', () => {
      const app = new App();
      const one = newStack('One', app);
      const range = addRange(one);
      const two = newStack('Two', app);
      IpamByoasn.fromIpamByoasnAttributes(two, 'Asn', { ipamId: IPAM_ID, asn: 64500 }).associateByoipCidr('Range', range);
      Template.fromStack(two).hasResourceProperties('Custom::ByoasnCidrAssociation', { Cidr: '8.8.8.0/24' });
      expect(two.dependencies).toEqual([one]);
    });

    test('takes the CIDR of an imported range without a dependency or a second warning', () => {
      const { stack, asn } = stackWithAsn();
      asn.associateByoipCidr('Doc', ByoipCidr.fromCidr(stack, 'Range', '203.0.113.0/24'));
      const template = Template.fromStack(stack);
      const [asnLogicalId] = Object.keys(template.findResources('Custom::IpamByoasn'));
      template.hasResource('Custom::ByoasnCidrAssociation', { Properties: { Cidr: '203.0.113.0/24' }, DependsOn: [asnLogicalId] });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Asn/Doc', Match.anyValue());
      Annotations.fromStack(stack).hasWarning('/Stack/Range', Match.stringLikeRegexp('reserved for documentation'));
    });

    test('refuses a byoipCidr and a cidr together, and neither', () => {
      const { stack, asn } = stackWithAsn();
      const range = addRange(stack);
      expect(() => new ByoasnCidrAssociation(stack, 'Both', { byoasn: asn, byoipCidr: range, cidr: '8.8.8.0/24' }))
        .toThrow('Stack/Both: give exactly one of cidr (a range provisioned outside this app) and byoipCidr (a ByoipCidr, or ByoipCidr.fromCidr); got both.');
      expect(() => new ByoasnCidrAssociation(stack, 'Neither', { byoasn: asn }))
        .toThrow('Stack/Neither: give exactly one of cidr (a range provisioned outside this app) and byoipCidr (a ByoipCidr, or ByoipCidr.fromCidr); got neither.');
      Template.fromStack(stack).resourceCountIs('Custom::ByoasnCidrAssociation', 0);
    });

    test('counts as the same association as one of the plain cidr', () => {
      const { stack, asn } = stackWithAsn();
      asn.associateCidr('Plain', '8.8.8.0/24');
      expect(() => asn.associateByoipCidr('Range', addRange(stack)))
        .toThrow("Stack/Asn/Range: asn 64500 and cidr '8.8.8.0/24' are already declared by the ByoasnCidrAssociation at Stack/Asn/Plain.");
    });
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
