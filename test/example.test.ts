import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
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
