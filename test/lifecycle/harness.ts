import { jest } from '@jest/globals';
import { ByoipCidrRecord, Ec2Emulator } from '../emulator/ec2-emulator';
import { CloudFormationDriver, DriverOptions, HandlerModule } from './cloudformation';
import { JumpingClock } from './jumping-clock';
import { EXAMPLE_CIDRS, SynthesizedStack } from './synth';

export { JumpingClock } from './jumping-clock';

/** Options of {@link startHarness}: the driver's, plus the emulator's and the clock's speed. */
export type HarnessOptions = Partial<DriverOptions> & {
  emulatorOptions?: ConstructorParameters<typeof Ec2Emulator>[0];
  /**
   * The BYOIP CIDRs that exist before the stack, provisioned outside it. Default: the ByoasnExample's
   * (`EXAMPLE_CIDRS`), which its associations need; a stack that brings its own ranges (ByoipExample) gets `[]`.
   */
  byoipCidrs?: readonly string[];
  /** Simulated ms per real ms between the clock's jumps (see {@link JumpingClock}); default 1. */
  clockSpeed?: number;
};

/** BYOIP CIDR states of a range that is advertised, or on its way in or out of it. */
const ADVERTISED_STATES: ReadonlySet<string> = new Set(['pending-advertising', 'advertised', 'pending-withdrawal']);

/**
 * The emulator of the harness: it remembers the BYOIP CIDRs a test seeded (`addByoipCidr`), which exist outside
 * the stack, so that `leftovers` does not count them as left behind by it.
 */
export class HarnessEmulator extends Ec2Emulator {
  /** Seeded CIDRs, and whether each was seeded advertised. */
  public readonly seededCidrs = new Map<string, { advertised: boolean }>();

  public addByoipCidr(seed: Parameters<Ec2Emulator['addByoipCidr']>[0]): ByoipCidrRecord {
    const record = super.addByoipCidr(seed);
    this.seededCidrs.set(record.cidr, { advertised: ADVERTISED_STATES.has(record.state) });
    return record;
  }
}

/** An emulator on a jumping clock with the BYOIP CIDRs that exist before the stack, and a driver for `stack`. */
export async function startHarness(stack: SynthesizedStack, options: HarnessOptions = {}) {
  const { emulatorOptions, clockSpeed, byoipCidrs = EXAMPLE_CIDRS, ...driverOptions } = options;
  const clock = new JumpingClock(clockSpeed);
  // The driver runs handlers at the simulated time, so the emulator reports that time too.
  const emulator = new HarnessEmulator({ now: clock.now, idleTimeoutMs: 60_000, clockInDateHeader: true, ...emulatorOptions });
  // A seeded range that the stack brings itself would fail its create (already provisioned): say so instead.
  const brought = Object.values(stack.template.Resources).filter((r) => r.Type === 'Custom::ByoipCidr').map((r) => String(r.Properties?.Cidr));
  const clash = byoipCidrs.filter((cidr) => brought.includes(cidr));
  if (clash.length > 0) {
    throw new Error(`startHarness: ${stack.stackName} brings ${clash.join(', ')} itself (ByoipCidr); do not seed them (pass byoipCidrs: [])`);
  }
  await emulator.start();
  for (const cidr of byoipCidrs) {
    emulator.addByoipCidr({ cidr });
  }
  const driver = new CloudFormationDriver({ emulator, clock, handlerFile: stack.handlerFile, stackName: stack.stackName, loadHandler: isolatedLoad, ...driverOptions });
  return { clock, emulator, driver };
}

/**
 * What is still held in AWS: ASNs not absent, associations not absent, BYOIP CIDRs not deprovisioned (or
 * failed-provision), advertisements. Ranges the test seeded (with `addByoipCidr`, see `HarnessEmulator`) existed
 * before the stack: they count only when advertised and not seeded so. A range whose deprovisioning AWS has
 * accepted is `pending-deprovision` until AWS finishes (the emulator's `deprovisionCidr` delay): it counts until
 * then. Empty means nothing is left behind.
 */
export function leftovers(emulator: Ec2Emulator): string[] {
  const snapshot = emulator.snapshot();
  const seeded = emulator instanceof HarnessEmulator ? emulator.seededCidrs : new Map<string, { advertised: boolean }>();
  return [
    ...snapshot.asns.filter((a) => !['deprovisioned', 'failed-provision'].includes(a.state)).map((a) => `ASN ${a.asn} ${a.state} in ${a.ipamId}`),
    ...snapshot.associations.filter((a) => !['disassociated', 'failed-association'].includes(a.state)).map((a) => `association ${a.asn} ${a.cidr} ${a.state}`),
    ...snapshot.byoipCidrs.filter((c) => !seeded.has(c.cidr) && !['deprovisioned', 'failed-provision'].includes(c.state))
      .map((c) => `BYOIP CIDR ${c.cidr} ${c.state}`),
    ...snapshot.byoipCidrs.filter((c) => ADVERTISED_STATES.has(c.state) && seeded.get(c.cidr)?.advertised !== true)
      .map((c) => `advertisement of ${c.cidr} with ${c.advertisedAsn === undefined ? "Amazon's ASN" : `ASN ${c.advertisedAsn}`} ${c.state}`),
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
