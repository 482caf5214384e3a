/**
 * `npm run demo`: deploys and destroys the example app against the project's EC2 emulator on 127.0.0.1, shows a
 * deployment that AWS refuses, then deploys and destroys the app's second stack (ByoipExample: the whole BYOIP
 * flow), printing each resource's progress the way `cdk deploy` prints stack events. No AWS account is involved: the emulator answers the real AWS SDK inside the handler bundle that
 * ships, and simulated minutes pass in a fraction of a second.
 */
import { Ec2Emulator } from '../emulator/ec2-emulator';
import { CloudFormationDriver, StackEvent } from './cloudformation';
import { JumpingClock } from './jumping-clock';
import { EXAMPLE_CIDRS, SynthesizedStack, synthesizeByoipExample, synthesizeExample } from './synth';

// The AWS SDK warns on every client that Node 20 support ends soon; in a demo that only buries the output.
process.removeAllListeners('warning');

const DELAYS = {
  provisionAsn: 3 * 60_000, deprovisionAsn: 2 * 60_000, associate: 90_000, disassociate: 60_000,
  // BYOIP provisioning really takes days (see waitForProvisioning), deprovisioning up to a day.
  provisionCidr: 5 * 60_000, deprovisionCidr: 60 * 60_000, advertise: 60_000, withdraw: 60_000,
};

function clockText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The AWS-side state of the resource an event is about, read from the emulator. */
function awsState(emulator: Ec2Emulator, event: StackEvent): string | undefined {
  const [first, second] = (event.physicalId ?? '').split('|');
  const snapshot = emulator.snapshot();
  if (event.resourceType === 'Custom::ByoipCidr' || event.resourceType === 'Custom::ByoipCidrAdvertisement') {
    const range = snapshot.byoipCidrs.find((c) => c.cidr === first);
    const origin = range?.advertisedAsn === undefined ? '' : ` with ASN ${range.advertisedAsn}`;
    const pool = event.resourceType === 'Custom::ByoipCidr' && range?.statusMessage ? ` (${range.statusMessage})` : '';
    return range && `${range.cidr} is ${range.state}${origin}${pool}`;
  }
  if (second === undefined) {
    return undefined;
  }
  if (event.resourceType === 'Custom::IpamByoasn') {
    const asn = snapshot.asns.find((a) => a.asn === second && a.ipamId === first);
    return asn && `ASN ${asn.asn} is ${asn.state}${asn.statusMessage ? ` (${asn.statusMessage})` : ''}`;
  }
  const association = snapshot.associations.find((a) => a.asn === first && a.cidr === second);
  return association && `ASN ${association.asn} with ${association.cidr} is ${association.state}`;
}

function heading(title: string): void {
  console.log(`\n${title}\n${'-'.repeat(title.length)}`);
}

/**
 * Runs one part against a fresh emulator, in which the BYOIP CIDRs `seeds` exist already (provisioned outside the
 * stack, as ByoasnExample needs them).
 */
async function run(
  title: string,
  example: SynthesizedStack,
  seeds: readonly string[],
  work: (driver: CloudFormationDriver, emulator: Ec2Emulator) => Promise<void>,
): Promise<void> {
  const clock = new JumpingClock();
  const emulator = new Ec2Emulator({ now: clock.now, delays: DELAYS, idleTimeoutMs: 60_000, clockInDateHeader: true });
  await emulator.start();
  try {
    for (const cidr of seeds) {
      emulator.addByoipCidr({ cidr });
    }
    const started = clock.now();
    const lastState = new Map<string, string>();
    const since = new Map<string, number>();
    const driver = new CloudFormationDriver({
      emulator,
      clock,
      handlerFile: example.handlerFile,
      stackName: example.stackName,
      onStackEvent: (event) => {
        const elapsed = clockText(event.at - started);
        const state = awsState(emulator, event);
        if (state !== undefined && lastState.get(event.logicalId) !== state) {
          lastState.set(event.logicalId, state);
          console.log(`  ${elapsed}  ${' '.repeat(61)}${state}`);
        }
        if (event.poll !== undefined) {
          return;
        }
        if (event.status.endsWith('_IN_PROGRESS')) {
          since.set(event.logicalId, event.at);
        }
        const took = event.status.endsWith('_COMPLETE') && since.has(event.logicalId)
          ? ` (${clockText(event.at - since.get(event.logicalId)!)})` : '';
        const reason = event.reason ? `\n${' '.repeat(9)}${event.reason.split('\n')[0]}` : '';
        console.log(`  ${elapsed}  ${event.logicalId.padEnd(25)} ${event.resourceType.padEnd(32)} ${event.status}${took}${reason}`);
      },
    });
    heading(title);
    await work(driver, emulator);
  } finally {
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  const realStart = Date.now();
  console.log('cdk-ipam-byoasn demo: the example app (cdk.json) against the EC2 emulator on 127.0.0.1, no AWS account.');
  console.log(`Simulated AWS timings: ASN provisioning ${DELAYS.provisionAsn / 60_000} min, deprovisioning ${DELAYS.deprovisionAsn / 60_000} min, `
    + `association ${DELAYS.associate / 1000} s, disassociation ${DELAYS.disassociate / 1000} s; the provider polls every 10 s.`);
  console.log(`BYOIP: provisioning a range ${DELAYS.provisionCidr / 60_000} min (days in AWS), advertising and withdrawing ${DELAYS.advertise / 1000} s each; `
    + 'a range\'s delete completes once AWS accepts the deprovisioning.');
  console.log('Times on the left are simulated (mm:ss since the operation began).');

  let ok = true;
  const example = synthesizeExample();
  await run('1. cdk deploy, then cdk destroy', example, EXAMPLE_CIDRS, async (driver, emulator) => {
    const deployed = await driver.deploy(example.template);
    console.log(`  => ${deployed.status}`);
    const destroyed = await driver.destroy();
    console.log(`  => ${destroyed.status}`);
    const left = emulator.snapshot().asns.filter((a) => a.state === 'provisioned').length
      + emulator.snapshot().associations.filter((a) => a.state === 'associated').length;
    console.log(`  Left in AWS afterwards: ${left} provisioned ASNs or associations.`);
    ok &&= deployed.status === 'CREATE_COMPLETE' && destroyed.status === 'DELETE_COMPLETE' && left === 0;
  });

  await run('2. cdk deploy when AWS cannot verify the ASN authorization', example, EXAMPLE_CIDRS, async (driver, emulator) => {
    emulator.setAsnOutcome(64496, { provision: { fail: true, statusMessage: 'The X.509 certificate in the RIR record does not match the signature.' } });
    const deployed = await driver.deploy(example.template);
    console.log(`  => ${deployed.status}: the stack event carries AWS's own status message, and nothing is left behind.`);
    ok &&= deployed.status === 'ROLLBACK_COMPLETE';
  });

  // The app's second stack brings its ranges itself: nothing is seeded.
  const byoip = synthesizeByoipExample();
  await run('3. ByoipExample (the second stack): cdk deploy brings two ranges, advertises one with your ASN', byoip, [], async (driver, emulator) => {
    const deployed = await driver.deploy(byoip.template);
    console.log(`  => ${deployed.status}`);
    heading('4. ByoipExample: cdk destroy withdraws, disassociates, then releases the ASN and the ranges');
    const destroyed = await driver.destroy();
    console.log(`  => ${destroyed.status}`);
    const snapshot = emulator.snapshot();
    const held = snapshot.asns.filter((a) => a.state === 'provisioned').length
      + snapshot.associations.filter((a) => a.state === 'associated').length
      + snapshot.byoipCidrs.filter((c) => !['pending-deprovision', 'deprovisioned'].includes(c.state)).length;
    const releasing = snapshot.byoipCidrs.filter((c) => c.state === 'pending-deprovision').length;
    console.log(`  Left in AWS afterwards: ${held} ASNs, associations, advertisements or ranges held; `
      + `${releasing} ranges pending-deprovision (accepted; AWS finishes within a day).`);
    ok &&= deployed.status === 'CREATE_COMPLETE' && destroyed.status === 'DELETE_COMPLETE' && held === 0;
  });

  console.log(`\nDone in ${((Date.now() - realStart) / 1000).toFixed(1)} s of real time.`);
  if (!ok) {
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
