import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ByoipExampleStack } from '../example/byoip-example-stack';
import { ExampleStack } from '../example/example-stack';

function synthExample() {
  const app = new App();
  const stack = new ExampleStack(app, 'ByoasnExample');
  return { stack, template: Template.fromStack(stack) };
}

describe('the example app', () => {
  test('synthesizes an IPAM, one ASN and two associations, with one provider', () => {
    const { template } = synthExample();
    template.resourceCountIs('AWS::EC2::IPAM', 1);
    template.resourceCountIs('Custom::IpamByoasn', 1);
    template.resourceCountIs('Custom::ByoasnCidrAssociation', 2);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('Custom::ByoasnCidrAssociation', { Cidr: '203.0.113.0/24' });
    template.hasResourceProperties('Custom::ByoasnCidrAssociation', { Cidr: '2001:db8:1000::/48' });
  });

  test('has warnings for its documentation values, and no errors', () => {
    const { stack } = synthExample();
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoError('*', Match.anyValue());
    expect(annotations.findWarning('*', Match.stringLikeRegexp('reserved for documentation'))).toHaveLength(3);
  });

  test('matches the snapshot', () => {
    const { template } = synthExample();
    // The asset hash changes with every handler change; its determinism is tested in test/build.
    const json = JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}\.zip/g, 'HANDLER_ASSET.zip');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});

function synthByoipExample() {
  const app = new App();
  const stack = new ByoipExampleStack(app, 'ByoipExample');
  return { stack, template: Template.fromStack(stack) };
}

/** The logical id of the one resource of `type` whose properties match. */
function idOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('the BYOIP example app', () => {
  test('synthesizes two ranges, an IPAM, one ASN, two associations and an advertisement, with one provider', () => {
    const { template } = synthByoipExample();
    template.resourceCountIs('Custom::ByoipCidr', 2);
    template.resourceCountIs('AWS::EC2::IPAM', 1);
    template.resourceCountIs('Custom::IpamByoasn', 1);
    template.resourceCountIs('Custom::ByoasnCidrAssociation', 2);
    template.resourceCountIs('Custom::ByoipCidrAdvertisement', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('Custom::ByoipCidr', {
      Cidr: '198.51.100.0/24',
      AuthorizationMessage: '1|aws|123456789012|198.51.100.0/24|20991231|SHA256|RSAPSS',
      PubliclyAdvertisable: 'true',
      WaitForProvisioning: 'true',
    });
    template.hasResourceProperties('Custom::ByoipCidr', {
      Cidr: '2001:db8:2000::/48',
      AuthorizationMessage: '1|aws|123456789012|2001:db8:2000::/48|20991231|SHA256|RSAPSS',
    });
    template.hasResourceProperties('Custom::ByoipCidrAdvertisement', { Cidr: '198.51.100.0/24', Asn: '64497' });
  });

  test('orders the flow: ranges and ASN, then associations, then the advertisement', () => {
    const { template } = synthByoipExample();
    const asn = idOf(template, 'Custom::IpamByoasn');
    const v4Range = idOf(template, 'Custom::ByoipCidr', { Cidr: '198.51.100.0/24' });
    const v6Range = idOf(template, 'Custom::ByoipCidr', { Cidr: '2001:db8:2000::/48' });
    const v4Association = idOf(template, 'Custom::ByoasnCidrAssociation', { Cidr: '198.51.100.0/24' });
    const v6Association = idOf(template, 'Custom::ByoasnCidrAssociation', { Cidr: '2001:db8:2000::/48' });
    const advertisement = idOf(template, 'Custom::ByoipCidrAdvertisement');
    const dependsOn = (id: string) => [template.toJSON().Resources[id].DependsOn ?? []].flat();
    expect(dependsOn(v4Association)).toEqual(expect.arrayContaining([asn, v4Range]));
    expect(dependsOn(v6Association)).toEqual(expect.arrayContaining([asn, v6Range]));
    expect(dependsOn(advertisement)).toEqual(expect.arrayContaining([asn, v4Range, v4Association]));
  });

  test('has warnings for its documentation values, and no errors', () => {
    const { stack } = synthByoipExample();
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoError('*', Match.anyValue());
    expect(annotations.findWarning('*', Match.stringLikeRegexp('reserved for documentation'))).toHaveLength(3);
  });

  test('synthesizes beside ByoasnExample in one app (cdk.json), one provider each', () => {
    const app = new App();
    const first = new ExampleStack(app, 'ByoasnExample');
    const second = new ByoipExampleStack(app, 'ByoipExample');
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(first).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    Template.fromStack(second).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  test('matches the snapshot', () => {
    const { template } = synthByoipExample();
    // The asset hash changes with every handler change; its determinism is tested in test/build.
    const json = JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}\.zip/g, 'HANDLER_ASSET.zip');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});
