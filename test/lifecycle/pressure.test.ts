import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ByoasnCidrAssociation, IpamByoasn } from '../../lib';
import { leftovers, startHarness } from './harness';
import { EXAMPLE_CIDRS, synthesize } from './synth';

/**
 * Pressure: one stack with an IPAM, 5 ASNs and 25 associations (each ASN with each of 5 BYOIP CIDRs), deployed
 * and destroyed against the emulator with one token bucket shared by every call (5 calls, 5 more per second),
 * eventually consistent reads and realistic delays. CloudFormation creates the 5 ASNs at once, then the 25
 * associations at once, so their polls hit the bucket together. Prints one summary line. The handler's SDK
 * backs off in real time; see CLOCK_SPEED for how that maps to the simulated clock.
 */

const ASNS = [64496, 64497, 64498, 64499, 64500];
const CIDRS = ['203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/24', '2001:db8:1000::/48', '2001:db8:2000::/48'];
const DELAYS = { provisionAsn: 60_000, deprovisionAsn: 30_000, associate: 30_000, disassociate: 20_000 };
const THROTTLE = [{ capacity: 5, refillPerSecond: 5 }];
const CONSISTENCY_DELAY_MS = 15_000;
/**
 * Between the clock's jumps, simulated time runs 3x real time, so each real second the SDK spends backing off
 * from a throttled call refills 15 tokens instead of 5. At 1x the test takes ~85 s of real time (nearly all of
 * it in SDK backoff sleeps, with 60% of the calls throttled); at 3x ~35 s, still with ~45% throttled.
 */
const CLOCK_SPEED = 3;

function synthesizePressureStack() {
  return synthesize((app) => {
    const stack = new Stack(app, 'ByoasnPressure');
    const ipam = new ec2.CfnIPAM(stack, 'Ipam', { operatingRegions: [{ regionName: stack.region }] });
    ASNS.forEach((asnNumber) => {
      const asn = new IpamByoasn(stack, `Asn${asnNumber}`, {
        ipamId: ipam.attrIpamId,
        asn: asnNumber,
        authorizationContext: {
          message: `1|aws|123456789012|${asnNumber}|20991231|SHA256|RSAPSS`,
          // A placeholder of the signature's alphabet, as in the example stack.
          signature: 'REPLACE-with-the-signature-printed-by-cdk-ipam-byoasn-sign__',
        },
      });
      CIDRS.forEach((cidr, i) => new ByoasnCidrAssociation(stack, `Asn${asnNumber}Cidr${i}`, { byoasn: asn, cidr }));
    });
    return stack;
  });
}

test('30 resources under one shared token bucket: everything completes, nothing is left', async () => {
  const pressure = synthesizePressureStack();
  const custom = Object.entries(pressure.template.Resources).filter(([, r]) => r.Type.startsWith('Custom::'));
  expect(custom).toHaveLength(30);
  const { emulator, driver, clock } = await startHarness(pressure, {
    emulatorOptions: { delays: DELAYS, consistencyDelayMs: CONSISTENCY_DELAY_MS, throttle: THROTTLE },
    clockSpeed: CLOCK_SPEED,
  });
  try {
    for (const cidr of CIDRS.filter((c) => !EXAMPLE_CIDRS.includes(c))) {
      emulator.addByoipCidr({ cidr });
    }
    const createdAt = clock.now();
    const created = await driver.deploy(pressure.template);
    const createMs = clock.now() - createdAt;
    const destroyedAt = clock.now();
    const destroyed = created.status === 'CREATE_COMPLETE' ? await driver.destroy() : undefined;
    const destroyMs = clock.now() - destroyedAt;
    // Whatever happened, clean up as a user would, so that `leftovers` says what a failure left behind.
    for (let attempt = 0; attempt < 2 && driver.resources.size > 0; attempt++) {
      await driver.destroy();
    }

    const calls = emulator.calls();
    const ec2Calls = calls.filter((c) => c.service === 'ec2');
    const throttled = calls.filter((c) => c.errorCode === 'RequestLimitExceeded' || c.errorCode === 'Throttling');
    const left = leftovers(emulator);
    const minutes = (ms: number) => (ms / 60_000).toFixed(1);
    process.stdout.write(`pressure: ${custom.length} resources, ${ec2Calls.length} EC2 calls (+${calls.length - ec2Calls.length} DescribeStacks), `
      + `${throttled.length} throttled, created in ${minutes(createMs)} min, destroyed in ${minutes(destroyMs)} min (simulated), ${left.length} left`
      + (created.status === 'CREATE_COMPLETE' ? '' : ` [deploy: ${created.status}: ${created.reason?.split('\n')[0]}]`)
      + (destroyed === undefined || destroyed.status === 'DELETE_COMPLETE' ? '' : ` [destroy: ${destroyed.status}: ${destroyed.reason?.split('\n')[0]}]`)
      + '\n');

    expect(created).toEqual({ status: 'CREATE_COMPLETE' });
    for (const [logicalId] of custom) {
      expect(driver.events.filter((e) => e.logicalId === logicalId && e.poll === undefined).map((e) => e.status))
        .toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    }
    expect(destroyed).toEqual({ status: 'DELETE_COMPLETE' });
    expect(left).toEqual([]);
    // The pressure was real: calls were throttled, and the 25 associations ran side by side.
    expect(throttled.length).toBeGreaterThan(0);
    expect(driver.environmentCount('isComplete')).toBeGreaterThan(5);
  } finally {
    await emulator.stop();
  }
}, 120_000);
