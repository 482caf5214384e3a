// Integration test: brings your address range to AWS (BYOIP), checks with EC2 that it is provisioned, and
// deprovisions it on destroy. It does not advertise the range. It needs your inputs (docs/integ-tests.md);
// without them it only synthesizes, for the snapshot.
import { App, Stack } from 'aws-cdk-lib';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { ByoipCidr } from '../lib';
import { acknowledgeDefaultDocumentationValues, byoipInputs } from './integ-inputs';

const inputs = byoipInputs();
// No construct creation stack traces in the snapshot's metadata: they hold the absolute paths of one machine.
const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'ByoipCidrInteg');
acknowledgeDefaultDocumentationValues(stack, inputs.cidr);

const range = new ByoipCidr(stack, 'Range', {
  cidr: inputs.cidr.value,
  authorizationContext: { message: inputs.message.value, signature: inputs.signature.value },
  description: 'cdk-ipam-byoasn integration test',
});

const integ = new IntegTest(app, 'ByoipCidrTest', {
  testCases: [stack],
  // The committed snapshot holds the offline defaults, which AWS refuses: it cannot be deployed first.
  stackUpdateWorkflow: false,
});

// The stack is complete once the range is provisioned (the custom resource waits for it, within its
// totalTimeout): EC2 says so right away.
integ.assertions
  .awsApiCall('EC2', 'describeByoipCidrs', { MaxResults: 100 })
  .expect(ExpectedResult.objectLike({
    ByoipCidrs: Match.arrayWith([Match.objectLike({ Cidr: range.cidr, State: 'provisioned' })]),
  }));

app.synth();
