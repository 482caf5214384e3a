/**
 * Unit tests of the small construct-side helpers in lib/private (issue 13): the construct tests exercise them
 * too, but those need the handler bundle and synthesize whole stacks, so the mutation run does not use them.
 */
import { Annotations, App, CfnParameter, CustomResource, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import {
  ADVERTISEMENT_RESOURCE_TYPE,
  ALLOW_DOCUMENTATION_VALUES_ENV,
  AMAZON_ASN,
  ASSOCIATION_RESOURCE_TYPE,
  BYOASN_RESOURCE_TYPE,
  BYOIP_CIDR_RESOURCE_TYPE,
  PHYSICAL_ID_SEPARATOR,
  advertisementPhysicalId,
  associationPhysicalId,
  byoasnPhysicalId,
  byoipCidrPhysicalId,
  parseBooleanProperty,
  splitPhysicalId,
} from '../../lib/private/contract';
import { customResourceOf } from '../../lib/private/dependencies';
import { ACKNOWLEDGED_RULES_METADATA_KEY, CDK_NAG_METADATA_KEY } from '../../lib/private/nag';
import { checkRemovalPolicy, reportFindings } from '../../lib/private/findings';
import { OWNERSHIP_ID, claimTarget, duplicateTargetMessage } from '../../lib/private/ownership';
import { checkAuthorizationAtSynth } from '../../lib/private/synth-authorization';
import { Finding } from '../../lib/private/validation';
import { ACCOUNT, SIGNATURE, asnMessage, newStack } from '../helpers';

describe('contract', () => {
  test('the CloudFormation types and the environment variable, as templates and deployments spell them', () => {
    expect(BYOASN_RESOURCE_TYPE).toBe('Custom::IpamByoasn');
    expect(ASSOCIATION_RESOURCE_TYPE).toBe('Custom::ByoasnCidrAssociation');
    expect(BYOIP_CIDR_RESOURCE_TYPE).toBe('Custom::ByoipCidr');
    expect(ADVERTISEMENT_RESOURCE_TYPE).toBe('Custom::ByoipCidrAdvertisement');
    expect(ALLOW_DOCUMENTATION_VALUES_ENV).toBe('CDK_IPAM_BYOASN_ALLOW_DOCUMENTATION_VALUES');
  });

  test('physical ids', () => {
    expect(PHYSICAL_ID_SEPARATOR).toBe('|');
    expect(AMAZON_ASN).toBe('AWS');
    expect(byoipCidrPhysicalId('8.8.8.0/24')).toBe('8.8.8.0/24');
    expect(advertisementPhysicalId('8.8.8.0/24', '394000')).toBe('8.8.8.0/24|394000');
    expect(byoasnPhysicalId('ipam-0123456789abcdef0', '394000')).toBe('ipam-0123456789abcdef0|394000');
    expect(associationPhysicalId('394000', '8.8.8.0/24')).toBe('394000|8.8.8.0/24');
  });

  test.each<[string, [string, string] | undefined]>([
    ['a|b', ['a', 'b']],
    ['ipam-0123456789abcdef0|394000', ['ipam-0123456789abcdef0', '394000']],
    ['a', undefined],
    ['', undefined],
    ['a|b|c', undefined],
    ['|b', undefined],
    ['a|', undefined],
    ['|', undefined],
    ['AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', undefined],
  ])('splitPhysicalId(%p) is %p', (id, parts) => {
    expect(splitPhysicalId(id)).toEqual(parts);
  });

  test.each<[unknown, boolean]>([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
    ['True', false],
    ['TRUE', false],
    ['1', false],
    [1, false],
    ['', false],
    [undefined, false],
  ])('parseBooleanProperty(%p) is %p', (value, expected) => {
    expect(parseBooleanProperty(value)).toBe(expected);
  });
});

describe('nag', () => {
  test('writes the metadata keys that cdk-nag 3 and cdk-nag 2 read', () => {
    expect(ACKNOWLEDGED_RULES_METADATA_KEY).toBe('aws:cdk:acknowledged-rules');
    expect(CDK_NAG_METADATA_KEY).toBe('cdk_nag');
  });
});

describe('customResourceOf', () => {
  test("is the construct's child Resource when that is a CustomResource", () => {
    const stack = newStack();
    const construct = new Construct(stack, 'Thing');
    const resource = new CustomResource(construct, 'Resource', { serviceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f' });
    expect(customResourceOf(construct)).toBe(resource);
  });

  test('is undefined without such a child, or when the child is something else', () => {
    const stack = newStack();
    expect(customResourceOf(new Construct(stack, 'Imported'))).toBeUndefined();
    const other = new Construct(stack, 'Other');
    new Construct(other, 'Resource');
    expect(customResourceOf(other)).toBeUndefined();
    const named = new Construct(stack, 'Named');
    new CustomResource(named, 'NotResource', { serviceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f' });
    expect(customResourceOf(named)).toBeUndefined();
  });
});

describe('reportFindings', () => {
  const warning: Finding = { severity: 'warning', property: 'asn', message: 'asn is odd.' };
  const documentation: Finding = { severity: 'warning', property: 'cidr', message: 'cidr is for documentation.', documentationValue: true };
  const error = (message: string): Finding => ({ severity: 'error', property: 'asn', message });

  test('throws every error at once, each line prefixed with the path, and adds no warning then', () => {
    const stack = newStack();
    const scope = new Construct(stack, 'Asn');
    const warn = jest.spyOn(Annotations.prototype, 'addWarningV2');
    expect(() => reportFindings(scope, [warning, error('first.'), error('second.')])).toThrow(new Error('Stack/Asn: first.\nStack/Asn: second.'));
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  test('adds each warning with an id that names its property, or documentationValue', () => {
    const stack = newStack();
    const scope = new Construct(stack, 'Asn');
    reportFindings(scope, [warning, documentation]);
    const warnings = AssertAnnotations.fromStack(stack).findWarning('/Stack/Asn', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([
      'asn is odd. [ack: cdk-ipam-byoasn:asn]',
      'cidr is for documentation. [ack: cdk-ipam-byoasn:documentationValue]',
    ]);
  });

  test('adds nothing without findings', () => {
    const stack = newStack();
    const scope = new Construct(stack, 'Asn');
    reportFindings(scope, []);
    expect(AssertAnnotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('checkRemovalPolicy', () => {
  test.each([RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE])('allows %s', (policy) => {
    expect(checkRemovalPolicy(newStack(), policy)).toBe(policy);
  });

  test('defaults to DESTROY', () => {
    expect(checkRemovalPolicy(newStack(), undefined)).toBe(RemovalPolicy.DESTROY);
  });

  test('refuses SNAPSHOT, naming it and what is allowed', () => {
    const stack = newStack();
    const scope = new Construct(stack, 'Asn');
    expect(() => checkRemovalPolicy(scope, RemovalPolicy.SNAPSHOT)).toThrow(new Error('Stack/Asn: removalPolicy RemovalPolicy.SNAPSHOT is not supported; allowed: RemovalPolicy.DESTROY (the default), RemovalPolicy.RETAIN or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE.'));
  });

  test('names a value that is no RemovalPolicy as it is', () => {
    expect(() => checkRemovalPolicy(newStack(), 'bogus' as RemovalPolicy)).toThrow('Stack: removalPolicy RemovalPolicy.bogus is not supported;');
  });
});

describe('checkAuthorizationAtSynth', () => {
  const context = (message: string, signature = SIGNATURE) => ({ message, signature });

  test('needs both message and signature, and says how to make them for the kind', () => {
    const stack = newStack();
    const missing = (kind: 'asn' | 'cidr') => [{
      severity: 'error',
      property: 'authorizationContext',
      message: `authorizationContext needs both message and signature; make them with \`cdk-ipam-byoasn sign --${kind} ...\`.`,
    }];
    expect(checkAuthorizationAtSynth(stack, undefined, '394000', 'asn')).toEqual(missing('asn'));
    expect(checkAuthorizationAtSynth(stack, { message: asnMessage(394000) } as never, '394000', 'cidr')).toEqual(missing('cidr'));
    expect(checkAuthorizationAtSynth(stack, { signature: SIGNATURE } as never, '394000', 'asn')).toEqual(missing('asn'));
  });

  test('a good context has no findings', () => {
    expect(checkAuthorizationAtSynth(newStack(), context(asnMessage(394000)), '394000', 'asn')).toEqual([]);
  });

  test("compares the message with the resource and the stack's account", () => {
    const findings = checkAuthorizationAtSynth(newStack(), context(asnMessage(394001, '210987654321')), '394000', 'asn');
    expect(findings.map((f) => f.message)).toEqual([
      "authorizationContext.message authorizes ASN '394001', but this resource's ASN is '394000'. Sign a message for '394000'.",
      `authorizationContext.message names account 210987654321, but the stack deploys to account ${ACCOUNT}. Sign a message for account ${ACCOUNT}.`,
    ]);
  });

  test('words a CIDR as a CIDR', () => {
    const findings = checkAuthorizationAtSynth(newStack(), context('1|aws|123456789012|8.8.8.0/24|20991231|SHA256|RSAPSS'), '8.8.9.0/24', 'cidr');
    expect(findings.map((f) => f.message)).toEqual(["authorizationContext.message authorizes CIDR '8.8.8.0/24', but this resource's CIDR is '8.8.9.0/24'. Sign a message for '8.8.9.0/24'."]);
  });

  test("skips the account when the stack's is unknown", () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(checkAuthorizationAtSynth(stack, context(asnMessage(394000, '210987654321')), '394000', 'asn')).toEqual([]);
  });

  test("compares with the message's own resource when the construct's is a token", () => {
    expect(checkAuthorizationAtSynth(newStack(), context(asnMessage(394001)), undefined, 'asn')).toEqual([]);
    // An unparseable message is refused for its form alone, never for its resource.
    expect(checkAuthorizationAtSynth(newStack(), context('nonsense'), undefined, 'asn').map((f) => f.property)).toEqual(['authorizationContext.message']);
  });

  test('checks nothing when both are tokens', () => {
    const stack = newStack();
    const message = new CfnParameter(stack, 'Message').valueAsString;
    const signature = new CfnParameter(stack, 'Signature').valueAsString;
    expect(checkAuthorizationAtSynth(stack, { message, signature }, '394000', 'asn')).toEqual([]);
  });

  test('checks only the resolved side when one is a token', () => {
    const stack = newStack();
    const tokenMessage = new CfnParameter(stack, 'Message').valueAsString;
    const tokenSignature = new CfnParameter(stack, 'Signature').valueAsString;
    expect(checkAuthorizationAtSynth(stack, { message: tokenMessage, signature: 'bad+' }, '394000', 'asn').map((f) => f.property))
      .toEqual(['authorizationContext.signature']);
    expect(checkAuthorizationAtSynth(stack, { message: 'nonsense', signature: tokenSignature }, '394000', 'asn').map((f) => f.property))
      .toEqual(['authorizationContext.message']);
    expect(checkAuthorizationAtSynth(stack, { message: 'nonsense', signature: 'bad+' }, '394000', 'asn').map((f) => f.property))
      .toEqual(['authorizationContext.message', 'authorizationContext.signature']);
  });
});

describe('ownership', () => {
  const asnTarget = (asn: string | number) => ({ kind: 'IpamByoasn', identity: { asn }, onDelete: 'deprovisions the ASN' });

  test('a number and its decimal string are one target', () => {
    const stack = newStack();
    claimTarget(new Construct(stack, 'A'), asnTarget(394000));
    expect(() => claimTarget(new Construct(stack, 'B'), asnTarget('394000'))).toThrow('Stack/B: asn \'394000\' is already declared by the IpamByoasn at Stack/A.');
  });

  test('refuses a stack whose construct id for the claims is taken by something else', () => {
    const stack = newStack();
    new Construct(stack, OWNERSHIP_ID);
    expect(() => claimTarget(new Construct(stack, 'A'), asnTarget(394000))).toThrow(`Stack: the construct id '${OWNERSHIP_ID}' is reserved for cdk-ipam-byoasn.`);
  });

  test('shows a token that cannot be resolved by its string form', () => {
    const stack = newStack();
    const failing = Lazy.string({ produce: () => { throw new Error('not yet'); } });
    const message = duplicateTargetMessage(new Construct(stack, 'B'), new Construct(stack, 'A'), { kind: 'ByoipCidr', identity: { cidr: failing }, onDelete: 'deprovisions the CIDR' });
    expect(Token.isUnresolved(failing)).toBe(true);
    expect(message.startsWith(`Stack/B: cidr '${failing}' is already declared by the ByoipCidr at Stack/A.`)).toBe(true);
  });
});
