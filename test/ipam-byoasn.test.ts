import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ByoasnCidrAssociation, ByoipCidr, IpamByoasn, IpamByoasnProps } from '../lib';
import { ACCOUNT, IPAM_ID, SIGNATURE, asnMessage, newStack } from './helpers';

function props(overrides: Partial<IpamByoasnProps> = {}): IpamByoasnProps {
  return {
    ipamId: IPAM_ID,
    asn: 64500,
    authorizationContext: { message: asnMessage(64500), signature: SIGNATURE },
    ...overrides,
  };
}

describe('IpamByoasn', () => {
  test('writes the custom resource properties as strings', () => {
    const stack = newStack();
    new IpamByoasn(stack, 'Asn', props());
    Template.fromStack(stack).hasResource('Custom::IpamByoasn', {
      Properties: {
        ServiceToken: Match.anyValue(),
        IpamId: IPAM_ID,
        Asn: '64500',
        AuthorizationMessage: asnMessage(64500),
        AuthorizationSignature: SIGNATURE,
        AdoptExisting: 'false',
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('accepts CfnIPAM.attrIpamId and references it', () => {
    const stack = newStack();
    const ipam = new ec2.CfnIPAM(stack, 'Ipam', { operatingRegions: [{ regionName: 'us-east-1' }] });
    new IpamByoasn(stack, 'Asn', props({ ipamId: ipam.attrIpamId }));
    Template.fromStack(stack).hasResourceProperties('Custom::IpamByoasn', {
      IpamId: { 'Fn::GetAtt': ['Ipam', 'IpamId'] },
    });
  });

  test('passes adoptExisting', () => {
    const stack = newStack();
    new IpamByoasn(stack, 'Asn', props({ adoptExisting: true }));
    Template.fromStack(stack).hasResourceProperties('Custom::IpamByoasn', { AdoptExisting: 'true' });
  });

  test('retains the ASN with RemovalPolicy.RETAIN', () => {
    const stack = newStack();
    new IpamByoasn(stack, 'Asn', props({ removalPolicy: RemovalPolicy.RETAIN }));
    Template.fromStack(stack).hasResource('Custom::IpamByoasn', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('refuses RemovalPolicy.SNAPSHOT', () => {
    expect(() => new IpamByoasn(newStack(), 'Asn', props({ removalPolicy: RemovalPolicy.SNAPSHOT })))
      .toThrow("Stack/Asn: removalPolicy RemovalPolicy.SNAPSHOT is not supported; allowed: RemovalPolicy.DESTROY (the default), RemovalPolicy.RETAIN or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE.");
  });

  test('exposes the attributes of the custom resource', () => {
    const stack = newStack();
    const asn = new IpamByoasn(stack, 'Asn', props());
    const logicalId = stack.getLogicalId(asn.node.defaultChild!.node.defaultChild as never);
    expect(stack.resolve(asn.byoasnAsn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Asn'] });
    expect(stack.resolve(asn.byoasnIpamId)).toEqual({ 'Fn::GetAtt': [logicalId, 'IpamId'] });
    expect(stack.resolve(asn.byoasnState)).toEqual({ 'Fn::GetAtt': [logicalId, 'State'] });
    expect(stack.resolve(asn.byoasnStatusMessage)).toEqual({ 'Fn::GetAtt': [logicalId, 'StatusMessage'] });
    expect(asn.asn).toBe(64500);
    expect(asn.ipamId).toBe(IPAM_ID);
  });

  describe('IAM', () => {
    test('scopes Provision and Deprovision to the IPAM, with the partition from the stack', () => {
      const stack = newStack();
      const ipam = new ec2.CfnIPAM(stack, 'Ipam', { operatingRegions: [{ regionName: 'us-east-1' }] });
      new IpamByoasn(stack, 'Asn', props({ ipamId: ipam.attrIpamId }));
      const template = Template.fromStack(stack);
      const statement = {
        Action: ['ec2:ProvisionIpamByoasn', 'ec2:DeprovisionIpamByoasn'],
        Effect: 'Allow',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2::${ACCOUNT}:ipam/`, { 'Fn::GetAtt': ['Ipam', 'IpamId'] }]],
        },
      };
      // onEvent and isComplete share one role, so the grant is made once.
      template.resourcePropertiesCountIs('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([statement]) },
      }, 1);
    });

    test('grants the describe calls on * and nothing of the associations', () => {
      const stack = newStack();
      new IpamByoasn(stack, 'Asn', props());
      const template = Template.fromStack(stack);
      template.resourcePropertiesCountIs('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{ Action: ['ec2:DescribeIpamByoasn', 'ec2:DescribeByoipCidrs'], Effect: 'Allow', Resource: '*' }]),
        },
      }, 1);
      expect(JSON.stringify(template.toJSON())).not.toContain('ec2:AssociateIpamByoasn');
    });

    test('never grants Provision on *', () => {
      const stack = newStack();
      new IpamByoasn(stack, 'Asn', props());
      const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
      for (const policy of Object.values(policies)) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          if ([statement.Action].flat().includes('ec2:ProvisionIpamByoasn')) {
            expect(statement.Resource).not.toBe('*');
          }
        }
      }
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<IpamByoasnProps>, string]>([
      ['a private ASN', { asn: 64512, authorizationContext: { message: asnMessage(64512), signature: SIGNATURE } },
        'Stack/Asn: asn 64512 is a private ASN (RFC 6996) (64512-65534), not a public ASN. Allowed: 1-64495 (except 23456) or 131072-4199999999.'],
      ['AS_TRANS', { asn: 23456, authorizationContext: { message: asnMessage(23456), signature: SIGNATURE } }, 'Stack/Asn: asn 23456 is AS_TRANS'],
      ['a fractional ASN', { asn: 1.5 }, 'Stack/Asn: asn must be a whole number in asplain notation; got 1.5'],
      ['a negative ASN', { asn: -5 }, 'Stack/Asn: asn -5 is negative'],
      ['an ASN beyond 4 bytes', { asn: 2 ** 32 }, 'Stack/Asn: asn 4294967296 is larger than the largest ASN (4294967295)'],
      ['a malformed IPAM id', { ipamId: 'vpc-123' }, "Stack/Asn: ipamId 'vpc-123' is not an IPAM id"],
      ['a message for another ASN', { authorizationContext: { message: asnMessage(64501), signature: SIGNATURE } },
        "Stack/Asn: authorizationContext.message authorizes ASN '64501', but this resource's ASN is '64500'."],
      ['a message for another account', { authorizationContext: { message: asnMessage(64500, '999999999999'), signature: SIGNATURE } },
        'Stack/Asn: authorizationContext.message names account 999999999999, but the stack deploys to account 123456789012.'],
      ['an expired message', { authorizationContext: { message: asnMessage(64500, ACCOUNT, '20200101'), signature: SIGNATURE } },
        'Stack/Asn: authorizationContext.message expired on 20200101'],
      ['a malformed message', { authorizationContext: { message: '64500', signature: SIGNATURE } },
        "Stack/Asn: authorizationContext.message '64500' does not have the format '1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS'"],
      ['a signature in plain base64', { authorizationContext: { message: asnMessage(64500), signature: 'ab+/' } },
        'Stack/Asn: authorizationContext.signature must be a non-empty string of the characters A-Z a-z 0-9 - _ ~'],
    ])('refuses %s before creating anything', (_what, overrides, message) => {
      const stack = newStack();
      expect(() => new IpamByoasn(stack, 'Asn', props(overrides))).toThrow(message);
      // Nothing of the library was added to the stack: no provider, no resource.
      expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
    });

    test('refuses an authorization context without a signature', () => {
      expect(() => new IpamByoasn(newStack(), 'Asn', props({ authorizationContext: { message: asnMessage(64500) } as never })))
        .toThrow('Stack/Asn: authorizationContext needs both message and signature; make them with `cdk-ipam-byoasn sign --asn ...`.');
    });

    test('reports every error at once', () => {
      expect(() => new IpamByoasn(newStack(), 'Asn', props({ asn: 0, ipamId: 'x' })))
        .toThrow(/asn 0 is reserved[\s\S]*\nStack\/Asn: ipamId 'x'/);
    });

    test('warns, and synthesizes, for a documentation ASN', () => {
      const stack = newStack();
      new IpamByoasn(stack, 'Asn', props({ asn: 64496, authorizationContext: { message: asnMessage(64496), signature: SIGNATURE } }));
      Annotations.fromStack(stack).hasWarning('/Stack/Asn', Match.stringLikeRegexp('asn 64496 is reserved for documentation \\(RFC 5398\\)'));
      Template.fromStack(stack).resourceCountIs('Custom::IpamByoasn', 1);
    });

    test('warns when the message expires within 7 days', () => {
      const soon = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString().slice(0, 10).replace(/-/g, '');
      const stack = newStack();
      new IpamByoasn(stack, 'Asn', props({ authorizationContext: { message: asnMessage(64500, ACCOUNT, soon), signature: SIGNATURE } }));
      Annotations.fromStack(stack).hasWarning('/Stack/Asn', Match.stringLikeRegexp(`expires on ${soon}, within 7 days`));
    });

    test('skips the account check in an environment-agnostic stack', () => {
      const stack = new Stack(new App(), 'Agnostic');
      new IpamByoasn(stack, 'Asn', props({ authorizationContext: { message: asnMessage(64500, '999999999999'), signature: SIGNATURE } }));
      Template.fromStack(stack).resourceCountIs('Custom::IpamByoasn', 1);
    });

    test('accepts tokens and leaves their checks to the handler', () => {
      const stack = newStack();
      const asn = new CfnParameter(stack, 'AsnParam', { type: 'Number' }).valueAsNumber;
      const ipamId = new CfnParameter(stack, 'IpamParam').valueAsString;
      const message = new CfnParameter(stack, 'MessageParam').valueAsString;
      const signature = new CfnParameter(stack, 'SignatureParam', { noEcho: true }).valueAsString;
      new IpamByoasn(stack, 'Asn', { ipamId, asn, authorizationContext: { message, signature } });
      Template.fromStack(stack).hasResourceProperties('Custom::IpamByoasn', {
        IpamId: { Ref: 'IpamParam' },
        Asn: { Ref: 'AsnParam' },
        AuthorizationMessage: { Ref: 'MessageParam' },
        AuthorizationSignature: { Ref: 'SignatureParam' },
      });
    });

    test('checks a literal message against a token ASN only for its form', () => {
      const stack = newStack();
      const asn = new CfnParameter(stack, 'AsnParam', { type: 'Number' }).valueAsNumber;
      expect(() => new IpamByoasn(stack, 'Asn', props({ asn, authorizationContext: { message: 'nope', signature: SIGNATURE } })))
        .toThrow("authorizationContext.message 'nope' does not have the format");
      new IpamByoasn(stack, 'Asn2', props({ asn }));
    });
  });

  describe('associateCidr', () => {
    test('creates an association, a child of the ASN, that depends on the ASN resource', () => {
      const stack = newStack();
      const asn = new IpamByoasn(stack, 'Asn', props());
      const association = asn.associateCidr('Prefix', '8.8.8.0/24');
      expect(association).toBeInstanceOf(ByoasnCidrAssociation);
      expect(association.node.path).toBe('Stack/Asn/Prefix');
      const template = Template.fromStack(stack);
      const asnLogicalId = Object.keys(template.findResources('Custom::IpamByoasn'))[0];
      template.hasResource('Custom::ByoasnCidrAssociation', {
        Properties: { Asn: '64500', Cidr: '8.8.8.0/24', AdoptExisting: 'false' },
        DependsOn: [asnLogicalId],
      });
    });

    test('passes options through', () => {
      const stack = newStack();
      new IpamByoasn(stack, 'Asn', props()).associateCidr('Prefix', '8.8.8.0/24', { adoptExisting: true, removalPolicy: RemovalPolicy.RETAIN });
      Template.fromStack(stack).hasResource('Custom::ByoasnCidrAssociation', {
        Properties: { AdoptExisting: 'true' },
        DeletionPolicy: 'Retain',
      });
    });
  });

  describe('associateByoipCidr', () => {
    test('creates an association, a child of the ASN, that depends on the ASN and the range', () => {
      const stack = newStack();
      const asn = new IpamByoasn(stack, 'Asn', props());
      const range = new ByoipCidr(stack, 'Range', { cidr: '8.8.8.0/24', authorizationContext: { message: asnMessage('8.8.8.0/24'), signature: SIGNATURE } });
      const association = asn.associateByoipCidr('Prefix', range, { adoptExisting: true });
      expect(association).toBeInstanceOf(ByoasnCidrAssociation);
      expect(association.node.path).toBe('Stack/Asn/Prefix');
      const template = Template.fromStack(stack);
      const ids = ['Custom::IpamByoasn', 'Custom::ByoipCidr'].map((type) => Object.keys(template.findResources(type))[0]);
      template.hasResource('Custom::ByoasnCidrAssociation', {
        Properties: { Asn: '64500', Cidr: '8.8.8.0/24', AdoptExisting: 'true' },
        DependsOn: ids.sort(),
      });
    });

    test('works on an imported ASN', () => {
      const stack = newStack();
      const imported = IpamByoasn.fromIpamByoasnAttributes(stack, 'Existing', { ipamId: IPAM_ID, asn: 64500 });
      imported.associateByoipCidr('Prefix', ByoipCidr.fromCidr(stack, 'Range', '8.8.8.0/24'));
      Template.fromStack(stack).hasResourceProperties('Custom::ByoasnCidrAssociation', { Asn: '64500', Cidr: '8.8.8.0/24' });
    });
  });

  describe('one declaration per ASN and IPAM in an app', () => {
    test('refuses a second IpamByoasn of the same IPAM and ASN in another stack, naming both', () => {
      const app = new App();
      new IpamByoasn(newStack('One', app), 'Asn', props());
      const two = newStack('Two', app);
      expect(() => new IpamByoasn(two, 'Again', props())).toThrow(
        "Two/Again: ipamId 'ipam-0123456789abcdef0' and asn 64500 are already declared by the IpamByoasn at One/Asn. Two declarations of one IpamByoasn would both own it: CloudFormation creates them independently, and deleting either deprovisions the ASN from under the other. Declare it once in the app and reference that construct wherever it is needed, or import it with IpamByoasn.fromIpamByoasnAttributes, which never owns the ASN.",
      );
      // Refused before anything of it was added.
      expect(Template.fromStack(two).toJSON().Resources ?? {}).toEqual({});
    });

    test('refuses one CfnIPAM.attrIpamId twice with one ASN, across stacks', () => {
      const app = new App();
      const one = newStack('One', app);
      const ipam = new ec2.CfnIPAM(one, 'Ipam', { operatingRegions: [{ regionName: 'us-east-1' }] });
      new IpamByoasn(one, 'Asn', props({ ipamId: ipam.attrIpamId }));
      expect(() => new IpamByoasn(newStack('Two', app), 'Asn', props({ ipamId: ipam.attrIpamId })))
        .toThrow('Two/Asn: ipamId {"Fn::GetAtt":["Ipam","IpamId"]} and asn 64500 are already declared by the IpamByoasn at One/Asn.');
    });

    test('accepts another ASN, another IPAM, two IPAMs of tokens, and the same ASN in another app', () => {
      const stack = newStack();
      new IpamByoasn(stack, 'Asn', props());
      new IpamByoasn(stack, 'OtherAsn', props({ asn: 64501, authorizationContext: { message: asnMessage(64501), signature: SIGNATURE } }));
      new IpamByoasn(stack, 'OtherIpam', props({ ipamId: 'ipam-0123456789abcdef1' }));
      for (const id of ['IpamA', 'IpamB']) {
        const ipam = new ec2.CfnIPAM(stack, id, { operatingRegions: [{ regionName: 'us-east-1' }] });
        new IpamByoasn(stack, `AsnIn${id}`, props({ ipamId: ipam.attrIpamId }));
      }
      new IpamByoasn(newStack(), 'Asn', props());
      Template.fromStack(stack).resourceCountIs('Custom::IpamByoasn', 5);
    });

    test('accepts an import of a declared ASN, with associations of other CIDRs', () => {
      const app = new App();
      const one = newStack('One', app);
      new IpamByoasn(one, 'Asn', props()).associateCidr('Prefix', '8.8.8.0/24');
      const two = newStack('Two', app);
      const imported = IpamByoasn.fromIpamByoasnAttributes(two, 'Imported', { ipamId: IPAM_ID, asn: 64500 });
      imported.associateCidr('Prefix', '8.8.9.0/24');
      IpamByoasn.fromIpamByoasnAttributes(two, 'ImportedAgain', { ipamId: IPAM_ID, asn: 64500 }).associateCidr('Prefix', '8.8.10.0/24');
      Template.fromStack(two).resourceCountIs('Custom::ByoasnCidrAssociation', 2);
    });
  });

  describe('fromIpamByoasnAttributes', () => {
    test('imports an ASN that CIDRs can be associated with, without creating it', () => {
      const stack = newStack();
      const imported = IpamByoasn.fromIpamByoasnAttributes(stack, 'Existing', { ipamId: IPAM_ID, asn: 64500 });
      expect(imported.asn).toBe(64500);
      expect(imported.ipamId).toBe(IPAM_ID);
      imported.associateCidr('Prefix', '8.8.8.0/24');
      const template = Template.fromStack(stack);
      template.resourceCountIs('Custom::IpamByoasn', 0);
      template.hasResource('Custom::ByoasnCidrAssociation', { Properties: { Asn: '64500' }, DependsOn: Match.absent() });
      // An imported ASN grants nothing of provisioning.
      expect(JSON.stringify(template.toJSON())).not.toContain('ec2:ProvisionIpamByoasn');
    });

    test('validates the attributes', () => {
      expect(() => IpamByoasn.fromIpamByoasnAttributes(newStack(), 'Existing', { ipamId: IPAM_ID, asn: 65535 }))
        .toThrow('Stack/Existing: asn 65535 is reserved (RFC 7300)');
    });
  });
});
