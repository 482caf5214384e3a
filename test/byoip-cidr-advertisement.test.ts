import { App, CfnParameter, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ByoasnCidrAssociation, ByoipCidr, ByoipCidrAdvertisement, IpamByoasn } from '../lib';
import { ACCOUNT, IPAM_ID, SIGNATURE, asnMessage, newStack } from './helpers';

const CIDR = '8.8.8.0/24';
const ENV = { account: ACCOUNT, region: 'us-east-1' };
const MISSING_ASSOCIATION = "byoasn: no ByoasnCidrAssociation of asn 64500 and cidr '8.8.8.0/24' is declared in this app, so this advertisement cannot be ordered after it. The association must exist before deployment (AWS advertises a range with an ASN only once they are associated) and outlive the advertisement. Declare it in this app (IpamByoasn.associateByoipCidr) to have CloudFormation order the two. [ack: cdk-ipam-byoasn:byoasnAssociation]";

function addRange(stack: Stack, cidr = CIDR, publiclyAdvertisable?: boolean) {
  return new ByoipCidr(stack, `Range${cidr.replace(/\W/g, '')}`, {
    cidr,
    authorizationContext: { message: asnMessage(cidr, ACCOUNT), signature: SIGNATURE },
    publiclyAdvertisable,
  });
}

function addAsn(stack: Stack, asn = 64500) {
  return new IpamByoasn(stack, `Asn${asn}`, { ipamId: IPAM_ID, asn, authorizationContext: { message: asnMessage(asn), signature: SIGNATURE } });
}

/** The logical id of the only resource of `type`. */
function logicalIdOf(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('ByoipCidrAdvertisement', () => {
  describe("with Amazon's ASN", () => {
    test('writes the properties as strings, with Asn AWS, and depends on the range', () => {
      const stack = newStack();
      const range = addRange(stack);
      const advertisement = new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range });
      expect(advertisement.cidr).toBe(CIDR);
      const template = Template.fromStack(stack);
      template.hasResource('Custom::ByoipCidrAdvertisement', {
        Properties: { ServiceToken: Match.anyValue(), Cidr: CIDR, Asn: 'AWS', NetworkBorderGroup: '', AdoptExisting: 'false' },
        DependsOn: [logicalIdOf(template, 'Custom::ByoipCidr')],
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Advertise', Match.anyValue());
    });

    test('advertises an imported range without dependencies or warnings', () => {
      const stack = newStack();
      new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: ByoipCidr.fromCidr(stack, 'Range', CIDR) });
      const [resource] = Object.values(Template.fromStack(stack).findResources('Custom::ByoipCidrAdvertisement'));
      expect(resource.DependsOn).toBeUndefined();
      Annotations.fromStack(stack).hasNoWarning('/Stack/Advertise', Match.anyValue());
    });
  });

  describe('with an own ASN', () => {
    test('writes the ASN and depends on the range, the ASN and the matching association', () => {
      const stack = newStack();
      const range = addRange(stack);
      const asn = addAsn(stack);
      asn.associateByoipCidr('Association', range);
      new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range, byoasn: asn });
      const template = Template.fromStack(stack);
      const [rangeId, asnId, associationId] = ['Custom::ByoipCidr', 'Custom::IpamByoasn', 'Custom::ByoasnCidrAssociation']
        .map((type) => logicalIdOf(template, type));
      // ByoipCidr and IpamByoasn -> association -> advertisement; CloudFormation deletes in reverse order.
      template.hasResource('Custom::ByoasnCidrAssociation', { DependsOn: [asnId, rangeId].sort() });
      template.hasResource('Custom::ByoipCidrAdvertisement', {
        Properties: { Cidr: CIDR, Asn: '64500', NetworkBorderGroup: '', AdoptExisting: 'false' },
        DependsOn: [asnId, associationId, rangeId].sort(),
      });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Advertise', Match.anyValue());
    });

    test('finds an association declared after it, and one made with a plain cidr', () => {
      const stack = newStack();
      const range = ByoipCidr.fromCidr(stack, 'Range', CIDR);
      const asn = addAsn(stack);
      new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range, byoasn: asn });
      new ByoasnCidrAssociation(stack, 'Association', { byoasn: asn, cidr: CIDR });
      const template = Template.fromStack(stack);
      template.hasResource('Custom::ByoipCidrAdvertisement', {
        DependsOn: [logicalIdOf(template, 'Custom::IpamByoasn'), logicalIdOf(template, 'Custom::ByoasnCidrAssociation')].sort(),
      });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Advertise', Match.anyValue());
    });

    test('finds an association of an imported ASN in another stack, and orders the stacks', () => {
      const app = new App();
      const one = newStack('One', app);
      const range = addRange(one);
      addAsn(one).associateByoipCidr('Association', range);
      const two = newStack('Two', app);
      const imported = IpamByoasn.fromIpamByoasnAttributes(two, 'Asn', { ipamId: IPAM_ID, asn: 64500 });
      new ByoipCidrAdvertisement(two, 'Advertise', { byoipCidr: range, byoasn: imported });
      Template.fromStack(two).resourceCountIs('Custom::ByoipCidrAdvertisement', 1);
      expect(two.dependencies).toEqual([one]);
      Annotations.fromStack(two).hasNoWarning('/Two/Advertise', Match.anyValue());
    });

    test('ignores associations of another ASN or another CIDR, and warns that the association must exist', () => {
      const stack = newStack();
      const range = addRange(stack);
      const asn = addAsn(stack);
      addAsn(stack, 64501).associateByoipCidr('Association', range);
      asn.associateCidr('Other', '8.8.9.0/24');
      new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range, byoasn: asn });
      const template = Template.fromStack(stack);
      const [asnId] = Object.keys(template.findResources('Custom::IpamByoasn', { Properties: { Asn: '64500' } }));
      template.hasResource('Custom::ByoipCidrAdvertisement', { DependsOn: [asnId, logicalIdOf(template, 'Custom::ByoipCidr')].sort() });
      expect(Annotations.fromStack(stack).findWarning('/Stack/Advertise', Match.anyValue()).map((w) => w.entry.data))
        .toEqual([MISSING_ASSOCIATION]);
    });

    test('ignores an association in another stage, and warns once however often the app is synthesized', () => {
      const app = new App();
      const beta = new Stack(new Stage(app, 'Beta'), 'Stack', { env: ENV });
      const range = ByoipCidr.fromCidr(beta, 'Range', CIDR);
      IpamByoasn.fromIpamByoasnAttributes(beta, 'Asn', { ipamId: IPAM_ID, asn: 64500 }).associateByoipCidr('Association', range);
      const prod = new Stack(new Stage(app, 'Prod'), 'Stack', { env: ENV });
      const imported = IpamByoasn.fromIpamByoasnAttributes(prod, 'Asn', { ipamId: IPAM_ID, asn: 64500 });
      new ByoipCidrAdvertisement(prod, 'Advertise', { byoipCidr: ByoipCidr.fromCidr(prod, 'Range', CIDR), byoasn: imported });
      Template.fromStack(prod);
      expect(Annotations.fromStack(prod).findWarning('/Prod/Stack/Advertise', Match.anyValue()).map((w) => w.entry.data))
        .toEqual([MISSING_ASSOCIATION]);
    });

    test('names a token ASN and CIDR in the warning as CloudFormation', () => {
      const stack = newStack();
      const asn = IpamByoasn.fromIpamByoasnAttributes(stack, 'Asn', { ipamId: IPAM_ID, asn: new CfnParameter(stack, 'AsnParam', { type: 'Number' }).valueAsNumber });
      const range = ByoipCidr.fromCidr(stack, 'Range', new CfnParameter(stack, 'CidrParam').valueAsString);
      new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range, byoasn: asn });
      Template.fromStack(stack).hasResourceProperties('Custom::ByoipCidrAdvertisement', { Cidr: { Ref: 'CidrParam' }, Asn: { Ref: 'AsnParam' } });
      Annotations.fromStack(stack).hasWarning('/Stack/Advertise', Match.stringLikeRegexp('no ByoasnCidrAssociation of asn \\{"Ref":"AsnParam"\\} and cidr \\{"Ref":"CidrParam"\\}'));
    });

    test('matches an association of one token ASN and CIDR', () => {
      const stack = newStack();
      const asn = IpamByoasn.fromIpamByoasnAttributes(stack, 'Asn', { ipamId: IPAM_ID, asn: new CfnParameter(stack, 'AsnParam', { type: 'Number' }).valueAsNumber });
      const range = ByoipCidr.fromCidr(stack, 'Range', new CfnParameter(stack, 'CidrParam').valueAsString);
      asn.associateByoipCidr('Association', range);
      new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range, byoasn: asn });
      const template = Template.fromStack(stack);
      template.hasResource('Custom::ByoipCidrAdvertisement', { DependsOn: [logicalIdOf(template, 'Custom::ByoasnCidrAssociation')] });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Advertise', Match.anyValue());
    });
  });

  test('passes networkBorderGroup and adoptExisting, and retains with RemovalPolicy.RETAIN', () => {
    const stack = newStack();
    new ByoipCidrAdvertisement(stack, 'Advertise', {
      byoipCidr: addRange(stack),
      networkBorderGroup: 'us-east-1-wl1-bos-wlz-1',
      adoptExisting: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Template.fromStack(stack).hasResource('Custom::ByoipCidrAdvertisement', {
      Properties: { NetworkBorderGroup: 'us-east-1-wl1-bos-wlz-1', AdoptExisting: 'true' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('refuses RemovalPolicy.SNAPSHOT', () => {
    const stack = newStack();
    expect(() => new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: addRange(stack), removalPolicy: RemovalPolicy.SNAPSHOT }))
      .toThrow('Stack/Advertise: removalPolicy RemovalPolicy.SNAPSHOT is not supported; allowed: RemovalPolicy.DESTROY (the default), RemovalPolicy.RETAIN or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE.');
  });

  test('refuses a range that is not publicly advertisable', () => {
    const stack = newStack();
    const range = addRange(stack, '2a05:d000::/56', false);
    expect(() => new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: range })).toThrow(
      'Stack/Advertise: byoipCidr Stack/Range2a05d00056 is provisioned with publiclyAdvertisable false, so AWS refuses to advertise it. Set publiclyAdvertisable to true on the ByoipCidr (which replaces it), or remove this advertisement.',
    );
    Template.fromStack(stack).resourceCountIs('Custom::ByoipCidrAdvertisement', 0);
  });

  test('exposes the state and status message attributes', () => {
    const stack = newStack();
    const advertisement = new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: addRange(stack) });
    const logicalId = logicalIdOf(Template.fromStack(stack), 'Custom::ByoipCidrAdvertisement');
    expect(stack.resolve(advertisement.advertisementState)).toEqual({ 'Fn::GetAtt': [logicalId, 'State'] });
    expect(stack.resolve(advertisement.advertisementStatusMessage)).toEqual({ 'Fn::GetAtt': [logicalId, 'StatusMessage'] });
  });

  test('grants exactly its three calls, on *', () => {
    const stack = newStack();
    new ByoipCidrAdvertisement(stack, 'Advertise', { byoipCidr: ByoipCidr.fromCidr(stack, 'Range', CIDR) });
    const ec2Statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .filter((s) => JSON.stringify(s.Action).includes('ec2:'));
    expect(ec2Statements).toEqual(Array(1).fill({
      Action: ['ec2:AdvertiseByoipCidr', 'ec2:WithdrawByoipCidr', 'ec2:DescribeByoipCidrs'],
      Effect: 'Allow',
      Resource: '*',
    }));
  });

  test('shares one provider with the three other types, each granting its own statement once', () => {
    const stack = newStack();
    const ranges = ['8.8.8.0/24', '8.8.9.0/24'].map((cidr) => addRange(stack, cidr));
    const asn = addAsn(stack);
    for (const range of ranges) {
      asn.associateByoipCidr(`Association${range.cidr}`, range);
      new ByoipCidrAdvertisement(stack, `Advertise${range.cidr}`, { byoipCidr: range, byoasn: asn });
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('ec2:'));
    expect(policies).toHaveLength(1);
    for (const policy of policies) {
      const actions = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).map((s) => [s.Action].flat());
      expect(actions).toEqual(expect.arrayContaining([
        ['ec2:ProvisionIpamByoasn', 'ec2:DeprovisionIpamByoasn'],
        ['ec2:DescribeIpamByoasn', 'ec2:DescribeByoipCidrs'],
        ['ec2:ProvisionByoipCidr', 'ec2:DeprovisionByoipCidr', 'ec2:DescribeByoipCidrs'],
        ['ec2:AssociateIpamByoasn', 'ec2:DisassociateIpamByoasn', 'ec2:DescribeByoipCidrs'],
        ['ec2:AdvertiseByoipCidr', 'ec2:WithdrawByoipCidr', 'ec2:DescribeByoipCidrs'],
      ]));
      expect(actions.filter((a) => a.some((action) => action.startsWith('ec2:')))).toHaveLength(5);
    }
  });

  describe('one advertisement per CIDR in an app', () => {
    test('refuses a second advertisement of the same CIDR in another stack, with another origin, naming both', () => {
      const app = new App();
      const one = newStack('One', app);
      const range = addRange(one);
      new ByoipCidrAdvertisement(one, 'Advertise', { byoipCidr: range });
      const two = newStack('Two', app);
      const imported = IpamByoasn.fromIpamByoasnAttributes(two, 'Asn', { ipamId: IPAM_ID, asn: 64500 });
      expect(() => new ByoipCidrAdvertisement(two, 'Again', { byoipCidr: ByoipCidr.fromCidr(two, 'Range', CIDR), byoasn: imported })).toThrow(
        "Two/Again: cidr '8.8.8.0/24' is already declared by the ByoipCidrAdvertisement at One/Advertise. Two declarations of one ByoipCidrAdvertisement would both own it: CloudFormation creates them independently, and deleting either withdraws the CIDR from under the other. Declare it once in the app and reference that construct wherever it is needed.",
      );
      Template.fromStack(two).resourceCountIs('Custom::ByoipCidrAdvertisement', 0);
    });

    test('accepts advertisements of two CIDRs, and of one CIDR in two apps', () => {
      const stack = newStack();
      new ByoipCidrAdvertisement(stack, 'A', { byoipCidr: addRange(stack) });
      new ByoipCidrAdvertisement(stack, 'B', { byoipCidr: addRange(stack, '8.8.9.0/24') });
      const other = newStack();
      new ByoipCidrAdvertisement(other, 'A', { byoipCidr: addRange(other) });
      Template.fromStack(stack).resourceCountIs('Custom::ByoipCidrAdvertisement', 2);
    });
  });
});
