import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ByoipCidr, ByoipCidrProps, IpamByoasn } from '../lib';
import { ACCOUNT, IPAM_ID, SIGNATURE, asnMessage, newStack } from './helpers';

const CIDR = '8.8.8.0/24';

/** A CIDR authorization message: the ASN message's format with a CIDR in the resource field. */
function cidrMessage(cidr: string, account = ACCOUNT, expiry = '20991231'): string {
  return asnMessage(cidr, account, expiry);
}

function props(overrides: Partial<ByoipCidrProps> = {}): ByoipCidrProps {
  const cidr = overrides.cidr ?? CIDR;
  return {
    cidr,
    authorizationContext: { message: cidrMessage(cidr), signature: SIGNATURE },
    ...overrides,
  };
}

describe('ByoipCidr', () => {
  test('writes the custom resource properties as strings, with every default', () => {
    const stack = newStack();
    new ByoipCidr(stack, 'Range', props());
    Template.fromStack(stack).hasResource('Custom::ByoipCidr', {
      Properties: {
        ServiceToken: Match.anyValue(),
        Cidr: CIDR,
        AuthorizationMessage: cidrMessage(CIDR),
        AuthorizationSignature: SIGNATURE,
        Description: '',
        PubliclyAdvertisable: 'true',
        NetworkBorderGroup: '',
        WaitForProvisioning: 'true',
        AdoptExisting: 'false',
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('passes every optional property', () => {
    const stack = newStack();
    const cidr = '2a05:d000::/56';
    new ByoipCidr(stack, 'Range', props({
      cidr,
      description: 'our range',
      publiclyAdvertisable: false,
      networkBorderGroup: 'us-east-1-wl1-bos-wlz-1',
      waitForProvisioning: false,
      adoptExisting: true,
    }));
    Template.fromStack(stack).hasResourceProperties('Custom::ByoipCidr', {
      Cidr: cidr,
      Description: 'our range',
      PubliclyAdvertisable: 'false',
      NetworkBorderGroup: 'us-east-1-wl1-bos-wlz-1',
      WaitForProvisioning: 'false',
      AdoptExisting: 'true',
    });
  });

  test('retains the range with RemovalPolicy.RETAIN', () => {
    const stack = newStack();
    new ByoipCidr(stack, 'Range', props({ removalPolicy: RemovalPolicy.RETAIN }));
    Template.fromStack(stack).hasResource('Custom::ByoipCidr', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('refuses RemovalPolicy.SNAPSHOT', () => {
    expect(() => new ByoipCidr(newStack(), 'Range', props({ removalPolicy: RemovalPolicy.SNAPSHOT })))
      .toThrow('Stack/Range: removalPolicy RemovalPolicy.SNAPSHOT is not supported; allowed: RemovalPolicy.DESTROY (the default), RemovalPolicy.RETAIN or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE.');
  });

  test('exposes the cidr and the attributes of the custom resource', () => {
    const stack = newStack();
    const range = new ByoipCidr(stack, 'Range', props());
    const [logicalId] = Object.keys(Template.fromStack(stack).findResources('Custom::ByoipCidr'));
    expect(range.cidr).toBe(CIDR);
    expect(range.publiclyAdvertisable).toBe(true);
    expect(stack.resolve(range.byoipCidrState)).toEqual({ 'Fn::GetAtt': [logicalId, 'State'] });
    expect(stack.resolve(range.byoipCidrStatusMessage)).toEqual({ 'Fn::GetAtt': [logicalId, 'StatusMessage'] });
    expect(stack.resolve(range.byoipCidrPoolId)).toEqual({ 'Fn::GetAtt': [logicalId, 'PoolId'] });
  });

  test('grants exactly its three calls, on * since they have no resource type', () => {
    const stack = newStack();
    new ByoipCidr(stack, 'Range', props());
    const template = Template.fromStack(stack);
    const ec2Statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .filter((s) => JSON.stringify(s.Action).includes('ec2:'));
    // One statement, in the policy of the role that onEvent and isComplete share.
    expect(ec2Statements).toEqual(Array(1).fill({
      Action: ['ec2:ProvisionByoipCidr', 'ec2:DeprovisionByoipCidr', 'ec2:DescribeByoipCidrs'],
      Effect: 'Allow',
      Resource: '*',
    }));
  });

  describe('validation', () => {
    test.each<[string, Partial<ByoipCidrProps>, string]>([
      ['an IPv4 prefix longer than /24', { cidr: '8.8.8.0/25' },
        "Stack/Range: cidr '8.8.8.0/25' is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24)."],
      ['a publicly advertisable IPv6 prefix longer than /48', { cidr: '2a05:d000::/56' },
        "Stack/Range: cidr '2a05:d000::/56' is a /56; BYOIP accepts publicly advertisable IPv6 prefixes of /48 or shorter (lengths 0-48)."],
      ['an IPv6 prefix longer than /56', { cidr: '2a05:d000::/57', publiclyAdvertisable: false },
        "Stack/Range: cidr '2a05:d000::/57' is a /57; BYOIP accepts IPv6 that is not publicly advertisable prefixes of /56 or shorter (lengths 0-56)."],
      ['an IPv4 range that is not publicly advertisable', { publiclyAdvertisable: false },
        "Stack/Range: publiclyAdvertisable is false, but cidr '8.8.8.0/24' is IPv4; AWS advertises every IPv4 range brought to it. Only an IPv6 range may be kept from being advertised: remove publiclyAdvertisable, or set it to true."],
      ['a private range', { cidr: '10.0.0.0/8' },
        "Stack/Range: cidr '10.0.0.0/8' overlaps 10.0.0.0/8, which is private (RFC 1918); only public address space can be brought to AWS."],
      ['host bits', { cidr: '8.8.8.1/24' },
        "Stack/Range: cidr '8.8.8.1/24' has host bits set: the network address of this prefix is '8.8.8.0/24'."],
      ['a CIDR not in canonical form', { cidr: '2A05:D000::/48' },
        "Stack/Range: cidr '2A05:D000::/48' is not in canonical form; write it as '2a05:d000::/48'"],
      ['a message for another CIDR', { authorizationContext: { message: cidrMessage('8.8.9.0/24'), signature: SIGNATURE } },
        "Stack/Range: authorizationContext.message authorizes CIDR '8.8.9.0/24', but this resource's CIDR is '8.8.8.0/24'. Sign a message for '8.8.8.0/24'."],
      ['a message for another account', { authorizationContext: { message: cidrMessage(CIDR, '999999999999'), signature: SIGNATURE } },
        'Stack/Range: authorizationContext.message names account 999999999999, but the stack deploys to account 123456789012. Sign a message for account 123456789012.'],
      ['an expired message', { authorizationContext: { message: cidrMessage(CIDR, ACCOUNT, '20200101'), signature: SIGNATURE } },
        'Stack/Range: authorizationContext.message expired on 20200101; the expiry date must be today or later. Sign a new message with a later date.'],
      ['a malformed message', { authorizationContext: { message: CIDR, signature: SIGNATURE } },
        "Stack/Range: authorizationContext.message '8.8.8.0/24' does not have the format '1|aws|ACCOUNT|RESOURCE|YYYYMMDD|SHA256|RSAPSS' (12-digit account, the CIDR, a valid expiry date)."],
      ['a signature in plain base64', { authorizationContext: { message: cidrMessage(CIDR), signature: 'ab+/' } },
        'Stack/Range: authorizationContext.signature must be a non-empty string of the characters A-Z a-z 0-9 - _ ~'],
      ['a missing signature', { authorizationContext: { message: cidrMessage(CIDR) } as never },
        'Stack/Range: authorizationContext needs both message and signature; make them with `cdk-ipam-byoasn sign --cidr ...`.'],
    ])('refuses %s before creating anything', (_what, overrides, message) => {
      const stack = newStack();
      expect(() => new ByoipCidr(stack, 'Range', props(overrides))).toThrow(message);
      expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
    });

    test('accepts an IPv6 /48 that is publicly advertisable, and a /56 that is not', () => {
      const stack = newStack();
      new ByoipCidr(stack, 'A', props({ cidr: '2a05:d000::/48' }));
      new ByoipCidr(stack, 'B', props({ cidr: '2a05:d001::/56', publiclyAdvertisable: false }));
      Template.fromStack(stack).resourceCountIs('Custom::ByoipCidr', 2);
    });

    test('reports every error at once', () => {
      expect(() => new ByoipCidr(newStack(), 'Range', props({
        cidr: '8.8.8.0/24',
        publiclyAdvertisable: false,
        authorizationContext: { message: cidrMessage('8.8.9.0/24'), signature: SIGNATURE },
      }))).toThrow(/publiclyAdvertisable is false[\s\S]*\nStack\/Range: authorizationContext.message authorizes CIDR '8.8.9.0\/24'/);
    });

    test('warns, and synthesizes, for a documentation range', () => {
      const stack = newStack();
      new ByoipCidr(stack, 'Range', props({ cidr: '203.0.113.0/24' }));
      Annotations.fromStack(stack).hasWarning('/Stack/Range', Match.stringLikeRegexp("cidr '203.0.113.0/24' overlaps 203.0.113.0/24, TEST-NET-3, reserved for documentation"));
      Template.fromStack(stack).resourceCountIs('Custom::ByoipCidr', 1);
    });

    test('takes what `cdk-ipam-byoasn sign --cidr` prints, as is', () => {
      const printed = JSON.parse(`{"message": ${JSON.stringify(cidrMessage('2a05:d000::/48'))}, "signature": ${JSON.stringify(SIGNATURE)}}`);
      const stack = newStack();
      new ByoipCidr(stack, 'Range', { cidr: '2a05:d000::/48', authorizationContext: printed });
      Template.fromStack(stack).hasResourceProperties('Custom::ByoipCidr', { AuthorizationMessage: printed.message });
    });

    test('skips the account check in an environment-agnostic stack', () => {
      const stack = new Stack(new App(), 'Agnostic');
      new ByoipCidr(stack, 'Range', props({ authorizationContext: { message: cidrMessage(CIDR, '999999999999'), signature: SIGNATURE } }));
      Template.fromStack(stack).resourceCountIs('Custom::ByoipCidr', 1);
    });

    test('accepts tokens and leaves their checks to the handler', () => {
      const stack = newStack();
      const cidr = new CfnParameter(stack, 'CidrParam').valueAsString;
      const message = new CfnParameter(stack, 'MessageParam').valueAsString;
      const signature = new CfnParameter(stack, 'SignatureParam', { noEcho: true }).valueAsString;
      // A token CIDR hides its family: publiclyAdvertisable false is then the handler's to check.
      new ByoipCidr(stack, 'Range', { cidr, authorizationContext: { message, signature }, publiclyAdvertisable: false });
      Template.fromStack(stack).hasResourceProperties('Custom::ByoipCidr', {
        Cidr: { Ref: 'CidrParam' },
        AuthorizationMessage: { Ref: 'MessageParam' },
        AuthorizationSignature: { Ref: 'SignatureParam' },
        PubliclyAdvertisable: 'false',
      });
    });

    test('checks a literal message against a token CIDR for its form, account and expiry only', () => {
      const stack = newStack();
      const cidr = new CfnParameter(stack, 'CidrParam').valueAsString;
      expect(() => new ByoipCidr(stack, 'Bad', props({ cidr, authorizationContext: { message: 'nope', signature: SIGNATURE } })))
        .toThrow("Stack/Bad: authorizationContext.message 'nope' does not have the format");
      expect(() => new ByoipCidr(stack, 'Expired', props({ cidr, authorizationContext: { message: cidrMessage(CIDR, ACCOUNT, '20200101'), signature: SIGNATURE } })))
        .toThrow('Stack/Expired: authorizationContext.message expired on 20200101');
      new ByoipCidr(stack, 'Good', props({ cidr, authorizationContext: { message: cidrMessage(CIDR), signature: SIGNATURE } }));
    });
  });

  describe('one declaration per CIDR in an app', () => {
    test('refuses a second ByoipCidr of the same CIDR in another stack, naming both', () => {
      const app = new App();
      new ByoipCidr(newStack('One', app), 'Range', props());
      const two = newStack('Two', app);
      expect(() => new ByoipCidr(two, 'Again', props())).toThrow(
        "Two/Again: cidr '8.8.8.0/24' is already declared by the ByoipCidr at One/Range. Two declarations of one ByoipCidr would both own it: CloudFormation creates them independently, and deleting either deprovisions the CIDR from under the other. Declare it once in the app and reference that construct wherever it is needed, or import it with ByoipCidr.fromCidr, which never owns the range.",
      );
      expect(Template.fromStack(two).toJSON().Resources ?? {}).toEqual({});
    });

    test('accepts another CIDR, an import of a declared one, and the same CIDR in another app', () => {
      const app = new App();
      const one = newStack('One', app);
      new ByoipCidr(one, 'Range', props());
      new ByoipCidr(one, 'Other', props({ cidr: '8.8.9.0/24' }));
      ByoipCidr.fromCidr(newStack('Two', app), 'Imported', CIDR);
      new ByoipCidr(newStack(), 'Range', props());
      Template.fromStack(one).resourceCountIs('Custom::ByoipCidr', 2);
    });
  });

  describe('fromCidr', () => {
    test('imports a range that can be associated, without creating or owning it', () => {
      const stack = newStack();
      const imported = ByoipCidr.fromCidr(stack, 'Existing', CIDR);
      expect(imported.cidr).toBe(CIDR);
      const asn = new IpamByoasn(stack, 'Asn', { ipamId: IPAM_ID, asn: 64500, authorizationContext: { message: asnMessage(64500), signature: SIGNATURE } });
      const association = asn.associateByoipCidr('Prefix', imported);
      expect(association.cidr).toBe(CIDR);
      const template = Template.fromStack(stack);
      template.resourceCountIs('Custom::ByoipCidr', 0);
      const [asnLogicalId] = Object.keys(template.findResources('Custom::IpamByoasn'));
      template.hasResource('Custom::ByoasnCidrAssociation', { Properties: { Cidr: CIDR }, DependsOn: [asnLogicalId] });
      // Never an owner: a ByoipCidr of the same range may still be declared.
      new ByoipCidr(stack, 'Range', props());
    });

    test('validates the range, with the IPv6 bound of a range that is not publicly advertisable', () => {
      const stack = newStack();
      expect(() => ByoipCidr.fromCidr(stack, 'Bad', '8.8.8.0/25'))
        .toThrow("Stack/Bad: cidr '8.8.8.0/25' is a /25; BYOIP accepts IPv4 prefixes of /24 or shorter (lengths 0-24).");
      ByoipCidr.fromCidr(stack, 'V6', '2a05:d000::/56');
      ByoipCidr.fromCidr(stack, 'Token', new CfnParameter(stack, 'Cidr').valueAsString);
    });
  });
});
