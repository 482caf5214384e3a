// Integration test: provisions your ASN to your IPAM, checks with EC2 that it is provisioned, and deprovisions it
// on destroy. It needs your inputs (docs/integ-tests.md); without them it only synthesizes, for the snapshot.
import { App, Stack } from 'aws-cdk-lib';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { IpamByoasn } from '../lib';
import { acknowledgeDefaultDocumentationValues, byoasnInputs } from './integ-inputs';

const inputs = byoasnInputs();
// No construct creation stack traces in the snapshot's metadata: they hold the absolute paths of one machine.
const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
const stack = new Stack(app, 'IpamByoasnInteg');
acknowledgeDefaultDocumentationValues(stack, inputs.asn);

const asn = new IpamByoasn(stack, 'Asn', {
  ipamId: inputs.ipamId.value,
  asn: Number(inputs.asn.value),
  authorizationContext: { message: inputs.message.value, signature: inputs.signature.value },
});

const integ = new IntegTest(app, 'IpamByoasnTest', {
  testCases: [stack],
  // The committed snapshot holds the offline defaults, which AWS refuses: it cannot be deployed first.
  stackUpdateWorkflow: false,
});

// The stack is complete once the ASN is provisioned (the custom resource waits for it): EC2 says so right away.
integ.assertions
  .awsApiCall('EC2', 'describeIpamByoasn', { MaxResults: 100 })
  .expect(ExpectedResult.objectLike({
    Byoasns: Match.arrayWith([Match.objectLike({ Asn: String(asn.asn), IpamId: asn.ipamId, State: 'provisioned' })]),
  }));

app.synth();
