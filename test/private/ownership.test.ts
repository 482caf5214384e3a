import { App, Aspects, CfnParameter, IAspect, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import { OWNERSHIP_ID, Target, claimTarget } from '../../lib/private/ownership';
import { newStack } from '../helpers';

/** A future resource type's claim (DESIGN §2: a BYOIP CIDR is identified by its CIDR alone). */
function byoipCidr(cidr: string): Target {
  return { kind: 'ByoipCidr', identity: { cidr }, onDelete: 'deprovisions the CIDR' };
}

function claim(scope: Construct, id: string, target: Target): Construct {
  const owner = new Construct(scope, id);
  claimTarget(owner, target);
  return owner;
}

describe('claimTarget', () => {
  test('refuses a second claim in another stack of the app, naming both paths and the value', () => {
    const app = new App();
    claim(newStack('One', app), 'Cidr', byoipCidr('8.8.8.0/24'));
    expect(() => claim(newStack('Two', app), 'Cidr', byoipCidr('8.8.8.0/24'))).toThrow(
      "Two/Cidr: cidr '8.8.8.0/24' is already declared by the ByoipCidr at One/Cidr. Two declarations of one ByoipCidr would both own it: CloudFormation creates them independently, and deleting either deprovisions the CIDR from under the other. Declare it once in the app and reference that construct wherever it is needed.",
    );
  });

  test('appends the alternative to the advice', () => {
    const stack = newStack();
    const target = { ...byoipCidr('8.8.8.0/24'), alternative: 'import it' };
    claim(stack, 'A', target);
    expect(() => claim(stack, 'B', target)).toThrow('reference that construct wherever it is needed, or import it.');
  });

  test('refuses a second claim across stages of one app', () => {
    const app = new App();
    claim(new Stack(new Stage(app, 'Beta'), 'Stack'), 'Cidr', byoipCidr('8.8.8.0/24'));
    expect(() => claim(new Stack(new Stage(app, 'Prod'), 'Stack'), 'Cidr', byoipCidr('8.8.8.0/24')))
      .toThrow('Prod/Stack/Cidr: cidr \'8.8.8.0/24\' is already declared by the ByoipCidr at Beta/Stack/Cidr.');
  });

  test('refuses a second claim between a stack and a stack nested in it', () => {
    const stack = newStack();
    claim(stack, 'Cidr', byoipCidr('8.8.8.0/24'));
    expect(() => claim(new NestedStack(stack, 'Nested'), 'Cidr', byoipCidr('8.8.8.0/24')))
      .toThrow('Stack/Nested/Cidr: cidr \'8.8.8.0/24\' is already declared by the ByoipCidr at Stack/Cidr.');
  });

  test('keeps two apps in one process apart', () => {
    claim(newStack('Stack', new App()), 'Cidr', byoipCidr('8.8.8.0/24'));
    claim(newStack('Stack', new App()), 'Cidr', byoipCidr('8.8.8.0/24'));
  });

  test('accepts distinct values, and one value of two kinds', () => {
    const stack = newStack();
    claim(stack, 'A', byoipCidr('8.8.8.0/24'));
    claim(stack, 'B', byoipCidr('8.8.9.0/24'));
    claim(stack, 'C', { ...byoipCidr('8.8.8.0/24'), kind: 'ByoipCidrAdvertisement' });
  });

  test('compares every property of the identity, and each under its own name', () => {
    const stack = newStack();
    claim(stack, 'A', { kind: 'K', identity: { a: 'x', b: 1 }, onDelete: 'removes it' });
    claim(stack, 'B', { kind: 'K', identity: { a: 'x', b: 2 }, onDelete: 'removes it' });
    claim(stack, 'C', { kind: 'K', identity: { a: 'y', b: 1 }, onDelete: 'removes it' });
    claim(stack, 'D', { kind: 'K', identity: { b: 'x', a: 1 }, onDelete: 'removes it' });
    expect(() => claim(stack, 'E', { kind: 'K', identity: { a: 'x', b: 1 }, onDelete: 'removes it' }))
      .toThrow("Stack/E: a 'x' and b 1 are already declared by the K at Stack/A.");
  });

  test('treats one token as one value, shown as the CloudFormation it stands for, and two tokens as unknown', () => {
    const stack = newStack();
    const cidr = new CfnParameter(stack, 'Cidr').valueAsString;
    const other = new CfnParameter(stack, 'Other').valueAsString;
    claim(stack, 'A', byoipCidr(cidr));
    claim(stack, 'B', byoipCidr(other));
    expect(() => claim(stack, 'C', byoipCidr(cidr))).toThrow('Stack/C: cidr {"Ref":"Cidr"} is already declared by the ByoipCidr at Stack/A.');
  });

  test('compares number tokens by their string form', () => {
    const stack = newStack();
    const parameter = new CfnParameter(stack, 'Asn', { type: 'Number' });
    const asn = parameter.valueAsNumber;
    const other = new CfnParameter(stack, 'Other', { type: 'Number' }).valueAsNumber;
    const target = (n: number): Target => ({ kind: 'K', identity: { asn: n }, onDelete: 'removes it' });
    claim(stack, 'A', target(asn));
    claim(stack, 'B', target(other));
    claim(stack, 'C', target(64500));
    expect(() => claim(stack, 'D', target(asn))).toThrow('Stack/D: asn {"Ref":"Asn"} is already declared by the K at Stack/A.');
    expect(() => claim(stack, 'E', target(parameter.valueAsNumber))).toThrow('Stack/E: asn {"Ref":"Asn"} is already declared');
  });

  test('keeps its record in the top-level stack, adding nothing to the template and nothing outside a stack', () => {
    const app = new App();
    const stack = newStack('Stack', app);
    claim(new NestedStack(stack, 'Nested'), 'Cidr', byoipCidr('8.8.8.0/24'));
    expect(app.node.children).toEqual([stack]);
    expect(stack.node.tryFindChild(OWNERSHIP_ID)).toBeDefined();
    // An aspect that asks every construct for its stack, as many do, still works.
    const visited: IConstruct[] = [];
    const aspect: IAspect = { visit: (node) => { Stack.of(node); visited.push(node); } };
    Aspects.of(stack).add(aspect);
    const resources = Object.values(Template.fromStack(stack).toJSON().Resources) as Array<{ Type: string }>;
    expect(resources.map((r) => r.Type)).toEqual(['AWS::CloudFormation::Stack']);
    expect(visited).toContain(stack.node.tryFindChild(OWNERSHIP_ID));
  });
});
