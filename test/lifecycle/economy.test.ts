import { jest } from '@jest/globals';
import { HandlerModule } from './cloudformation';
import { leftovers, startHarness } from './harness';
import { SynthesizedStack, synthesizeExample } from './synth';

/**
 * API economy (README "Benchmarks"): one create and destroy of the example app (1 ASN, 2 associations) makes the
 * six mutations, one read before each (onEvent decides from the current state), and one read per isComplete
 * poll; nothing else. Counts calls only; `npm run bench` reports them beside the AwsCustomResource way.
 */
let example: SynthesizedStack;

beforeAll(() => {
  example = synthesizeExample();
});

/** Deploys and destroys the example, counting the handler's invocations and the emulator's calls. */
async function createAndDestroy(delays: Record<string, number>) {
  const invocations = { onEvent: 0, isComplete: 0 };
  const counting = (file: string): HandlerModule => {
    let loaded: HandlerModule | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(file) as HandlerModule;
    });
    const handler = loaded!;
    return {
      onEvent: (event) => { invocations.onEvent++; return handler.onEvent(event); },
      isComplete: (event) => { invocations.isComplete++; return handler.isComplete(event); },
    };
  };
  const { emulator, driver } = await startHarness(example, { emulatorOptions: { delays }, loadHandler: counting });
  try {
    expect(await driver.deploy(example.template)).toEqual({ status: 'CREATE_COMPLETE' });
    expect(await driver.destroy()).toEqual({ status: 'DELETE_COMPLETE' });
    expect(leftovers(emulator)).toEqual([]);
    const byAction: Record<string, number> = {};
    for (const call of emulator.calls()) {
      const key = call.service === 'ec2' ? call.action : `cloudformation:${call.action}`;
      byAction[key] = (byAction[key] ?? 0) + 1;
    }
    return { invocations, byAction, total: emulator.calls().length };
  } finally {
    await emulator.stop();
  }
}

const MUTATIONS = { ProvisionIpamByoasn: 1, AssociateIpamByoasn: 2, DisassociateIpamByoasn: 2, DeprovisionIpamByoasn: 1 };

describe('the EC2 calls of one create and destroy of 1 ASN and 2 associations', () => {
  test('with instant AWS: 18, the six mutations and one read per handler invocation', async () => {
    const { invocations, byAction, total } = await createAndDestroy({});
    expect(invocations).toEqual({ onEvent: 6, isComplete: 6 });
    // Reads: the ASN's (create, its poll, delete, its poll) and each association's, through its CIDR's listing.
    expect(byAction).toEqual({ ...MUTATIONS, DescribeIpamByoasn: 4, DescribeByoipCidrs: 8 });
    expect(total).toBe(18);
  });

  test('with realistic timings: one more read per poll, and nothing else', async () => {
    const { invocations, byAction, total } = await createAndDestroy({ provisionAsn: 180_000, deprovisionAsn: 120_000, associate: 90_000, disassociate: 60_000 });
    expect(invocations.onEvent).toBe(6);
    // 3 minutes of provisioning alone take 18 polls at the default 10 s.
    expect(invocations.isComplete).toBeGreaterThan(40);
    expect(byAction).toEqual({ ...MUTATIONS, DescribeIpamByoasn: expect.any(Number), DescribeByoipCidrs: expect.any(Number) });
    expect(total).toBe(6 + invocations.onEvent + invocations.isComplete);
  });
});
