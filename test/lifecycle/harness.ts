import { jest } from '@jest/globals';
import { Ec2Emulator } from '../emulator/ec2-emulator';
import { CloudFormationDriver, DriverOptions, HandlerModule } from './cloudformation';
import { JumpingClock } from './jumping-clock';
import { EXAMPLE_CIDRS, SynthesizedStack } from './synth';

export { JumpingClock } from './jumping-clock';

/** Options of {@link startHarness}: the driver's, plus the emulator's and the clock's speed. */
export type HarnessOptions = Partial<DriverOptions> & {
  emulatorOptions?: ConstructorParameters<typeof Ec2Emulator>[0];
  /** Simulated ms per real ms between the clock's jumps (see {@link JumpingClock}); default 1. */
  clockSpeed?: number;
};

/** An emulator on a jumping clock with the example's BYOIP CIDRs, and a driver for `stack`. */
export async function startHarness(stack: SynthesizedStack, options: HarnessOptions = {}) {
  const { emulatorOptions, clockSpeed, ...driverOptions } = options;
  const clock = new JumpingClock(clockSpeed);
  // The driver runs handlers at the simulated time, so the emulator reports that time too.
  const emulator = new Ec2Emulator({ now: clock.now, idleTimeoutMs: 60_000, clockInDateHeader: true, ...emulatorOptions });
  await emulator.start();
  for (const cidr of EXAMPLE_CIDRS) {
    emulator.addByoipCidr({ cidr });
  }
  const driver = new CloudFormationDriver({ emulator, clock, handlerFile: stack.handlerFile, stackName: stack.stackName, loadHandler: isolatedLoad, ...driverOptions });
  return { clock, emulator, driver };
}

/** What is still held in AWS: ASNs not absent, associations not absent. Empty means nothing is left behind. */
export function leftovers(emulator: Ec2Emulator): string[] {
  const snapshot = emulator.snapshot();
  return [
    ...snapshot.asns.filter((a) => !['deprovisioned', 'failed-provision'].includes(a.state)).map((a) => `ASN ${a.asn} ${a.state} in ${a.ipamId}`),
    ...snapshot.associations.filter((a) => !['disassociated', 'failed-association'].includes(a.state)).map((a) => `association ${a.asn} ${a.cidr} ${a.state}`),
  ];
}

/** A fresh instance of the bundle from Jest's registry: it sees the sandbox's `process.env`, as the test does. */
function isolatedLoad(file: string): HandlerModule {
  let loaded: HandlerModule | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as HandlerModule;
  });
  return loaded!;
}
