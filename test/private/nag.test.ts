import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ACKNOWLEDGED_RULES_METADATA_KEY, CDK_NAG_METADATA_KEY, acknowledgeNagRules, findCfnResource } from '../../lib/private/nag';

const REASON = 'A reason long enough for cdk-nag 2, which wants ten characters at least.';

function newRole(): { stack: Stack; role: iam.Role; resource: CfnResource } {
  const stack = new Stack();
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  return { stack, role, resource: role.node.defaultChild as CfnResource };
}

describe('acknowledgeNagRules', () => {
  test('writes the construct metadata of cdk-nag 3, one key per finding', () => {
    const { resource } = newRole();
    acknowledgeNagRules(resource, [
      { id: 'AwsSolutions-IAM5', reason: REASON, findings: ['Resource::*', 'Action::s3:*'] },
      { id: 'AwsSolutions-L1', reason: REASON },
    ]);
    const entries = resource.node.metadata.filter((m) => m.type === ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(entries.map((m) => m.data)).toEqual([{
      'annotation::AwsSolutions-IAM5[Resource::*]': REASON,
      'annotation::AwsSolutions-IAM5[Action::s3:*]': REASON,
      'annotation::AwsSolutions-L1': REASON,
    }]);
  });

  test('writes the CloudFormation metadata of cdk-nag 2, with applies_to only for findings', () => {
    const { resource } = newRole();
    acknowledgeNagRules(resource, [
      { id: 'AwsSolutions-IAM5', reason: REASON, findings: ['Resource::*'] },
      { id: 'AwsSolutions-L1', reason: REASON },
    ]);
    expect(resource.getMetadata(CDK_NAG_METADATA_KEY)).toEqual({
      rules_to_suppress: [
        { id: 'AwsSolutions-IAM5', reason: REASON, applies_to: ['Resource::*'] },
        { id: 'AwsSolutions-L1', reason: REASON },
      ],
    });
  });

  test('keeps the suppressions already on the resource, e.g. the user\'s own', () => {
    const { resource } = newRole();
    const own = { id: 'AwsSolutions-IAM4', reason: REASON, applies_to: ['Policy::arn:aws:iam::aws:policy/ReadOnlyAccess'] };
    resource.addMetadata(CDK_NAG_METADATA_KEY, { rules_to_suppress: [own] });
    acknowledgeNagRules(resource, [{ id: 'AwsSolutions-L1', reason: REASON }]);
    expect(resource.getMetadata(CDK_NAG_METADATA_KEY).rules_to_suppress).toEqual([own, { id: 'AwsSolutions-L1', reason: REASON }]);
  });

  test('marks only the resource, not its parent or siblings', () => {
    const { stack, role, resource } = newRole();
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeByoipCidrs'], resources: ['*'] }));
    acknowledgeNagRules(resource, [{ id: 'AwsSolutions-L1', reason: REASON }]);
    const marked = stack.node.findAll().filter((c) => c.node.metadata.some((m) => m.type === ACKNOWLEDGED_RULES_METADATA_KEY));
    expect(marked.map((c) => c.node.path)).toEqual(['Default/Role/Resource']);
  });
});

describe('findCfnResource', () => {
  test('finds the default child of an L2 along a path of ids', () => {
    const { stack, role } = newRole();
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeByoipCidrs'], resources: ['*'] }));
    expect(findCfnResource(stack, 'Role')?.node.path).toBe('Default/Role/Resource');
    expect(findCfnResource(stack, 'Role', 'DefaultPolicy')?.node.path).toBe('Default/Role/DefaultPolicy/Resource');
    expect(findCfnResource(stack, 'Role', 'Resource')?.node.path).toBe('Default/Role/Resource');
  });

  test('is undefined for a path that is not there, or that ends at no CloudFormation resource', () => {
    const { stack } = newRole();
    expect(findCfnResource(stack, 'Role', 'DefaultPolicy')).toBeUndefined();
    expect(findCfnResource(stack, 'Nothing', 'Here')).toBeUndefined();
    expect(findCfnResource(stack)).toBeUndefined();
  });
});
