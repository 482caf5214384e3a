import type { Ec2Emulator, FaultSpec } from '../emulator/ec2-emulator';
import type { OperationResult } from './cloudformation';
import { leftovers, startHarness } from './harness';
import { SynthesizedStack, Template, synthesizeExample } from './synth';

/**
 * For every lifecycle phase, every EC2 call the handler makes in it, and every kind of fault: inject the fault
 * into the first such call, and in a second case into the second one (for a read, typically the first
 * isComplete poll after onEvent's read; for a mutation, the second resource's), run the phase, then destroy the stack (as a user would after a failure) and check
 * that nothing is left provisioned or associated. Prints the totals.
 */

const PHASES = ['create', 'update (replacement)', 'delete'] as const;
const ACTIONS = [
  'DescribeIpamByoasn', 'DescribeByoipCidrs',
  'ProvisionIpamByoasn', 'DeprovisionIpamByoasn', 'AssociateIpamByoasn', 'DisassociateIpamByoasn',
] as const;
const FAULTS: Record<string, FaultSpec> = {
  'throttling': { kind: 'error', code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
  'HTTP 500': 'internalError',
  'dropped connection': 'drop',
  'applied, answer lost': 'applyThenDrop',
};
const MUTATING = new Set<string>(['ProvisionIpamByoasn', 'DeprovisionIpamByoasn', 'AssociateIpamByoasn', 'DisassociateIpamByoasn']);

type Phase = typeof PHASES[number];
interface Outcome {
  readonly phase: Phase;
  readonly action: string;
  /** 1 for the first call of the action in the phase, 2 for the second. */
  readonly nth: number;
  readonly fault: string;
  /** Whether the fault was injected at all (the action is called in that phase). */
  readonly fired: boolean;
  /** The phase's own result. */
  readonly status: string;
  /** Whether the phase still succeeded. */
  readonly survived: boolean;
  /** What was still held in AWS after the final destroy. */
  readonly left: string[];
}

const SUCCESS: Record<Phase, string> = { 'create': 'CREATE_COMPLETE', 'update (replacement)': 'UPDATE_COMPLETE', 'delete': 'DELETE_COMPLETE' };

let example: SynthesizedStack;
let replaced: Template;
const outcomes: Outcome[] = [];
/** How many times each phase calls each action without faults, from a dry run: a fault on call n needs n. */
const callCounts = new Map<string, number>();

beforeAll(async () => {
  example = synthesizeExample();
  replaced = JSON.parse(JSON.stringify(example.template)) as Template;
  const v4 = Object.values(replaced.Resources).find((r) => r.Properties?.Cidr === '203.0.113.0/24')!;
  (v4.Properties as Record<string, unknown>).Cidr = '198.51.100.0/24';
  for (const phase of PHASES) {
    await runCase(phase, async (emulator) => {
      for (const action of ACTIONS) {
        callCounts.set(`${phase}|${action}`, emulator.calls(action).length);
      }
    });
  }
});

const DELAYS = { provisionAsn: 60_000, deprovisionAsn: 30_000, associate: 30_000, disassociate: 20_000 };
/** Reads lag each change by this much, as EC2's eventually consistent Describe calls do. */
const CONSISTENCY_DELAY_MS = 15_000;

/**
 * Runs one case: the stack brought to the phase's starting point, `arm` called, the phase run, `check` called,
 * then the stack destroyed (a second time if the first attempt fails), as a user would.
 */
async function runCase(phase: Phase, check: (emulator: Ec2Emulator, result: OperationResult) => void | Promise<void>, arm?: (emulator: Ec2Emulator) => void) {
  const { emulator, driver } = await startHarness(example, { emulatorOptions: { delays: DELAYS, consistencyDelayMs: CONSISTENCY_DELAY_MS } });
  try {
    emulator.addByoipCidr({ cidr: '198.51.100.0/24' });
    if (phase !== 'create') {
      expect((await driver.deploy(example.template)).status).toBe('CREATE_COMPLETE');
    }
    emulator.clearCalls();
    arm?.(emulator);
    const result = phase === 'create' ? await driver.deploy(example.template)
      : phase === 'update (replacement)' ? await driver.deploy(replaced)
        : await driver.destroy();
    await check(emulator, result);
    emulator.clearFaults();
    for (let attempt = 0; attempt < 2 && driver.resources.size > 0; attempt++) {
      await driver.destroy();
    }
    expect(driver.resources.size).toBe(0);
    return leftovers(emulator);
  } finally {
    await emulator.stop();
  }
}

afterAll(() => {
  if (outcomes.length === 0) {
    return;
  }
  const fired = outcomes.filter((o) => o.fired);
  const lines = ['', 'Fault matrix (phase × call × which call × fault):'];
  for (const o of outcomes) {
    lines.push(`  ${o.phase.padEnd(21)} ${o.action.padEnd(23)} call #${o.nth} ${o.fault.padEnd(20)} ${o.fired ? `${o.status.padEnd(24)} ${o.left.length === 0 ? 'clean' : `LEFT: ${o.left.join('; ')}`}` : '(call not made in this phase)'}`);
  }
  lines.push(`Fault matrix totals: ${fired.length} cases tried, ${fired.filter((o) => o.survived).length} survived (the operation still succeeded), `
    + `${fired.filter((o) => o.left.length === 0).length} clean after destroy, ${fired.filter((o) => o.left.length > 0).length} lost; `
    + `${outcomes.length - fired.length} combinations not applicable.`, '');
  process.stdout.write(lines.join('\n'));
});

const cases = PHASES.flatMap((phase) => ACTIONS.flatMap((action) => [1, 2].flatMap((nth) => Object.keys(FAULTS)
  .filter((fault) => fault !== 'applied, answer lost' || MUTATING.has(action))
  .map((fault) => [phase, action, nth, fault] as const))));

test.each(cases)('%s, %s call #%d, %s: nothing is lost', async (phase, action, nth, fault) => {
  if ((callCounts.get(`${phase}|${action}`) ?? 0) < nth) {
    outcomes.push({ phase, action, nth, fault, fired: false, status: '', survived: false, left: [] });
    return;
  }
  let phaseResult: OperationResult | undefined;
  let fired = false;
  const left = await runCase(phase, (emulator, result) => {
    phaseResult = result;
    fired = emulator.calls(action).some((c) => c.fault !== undefined);
  }, (emulator) => emulator.failNext(action, FAULTS[fault], 1, nth - 1));
  outcomes.push({ phase, action, nth, fault, fired, status: phaseResult!.status, survived: phaseResult!.status === SUCCESS[phase], left });
  expect(fired).toBe(true);
  expect(left).toEqual([]);
  // Every injected fault is transient: retries and idempotent handling should carry the operation through.
  expect(phaseResult).toEqual({ status: SUCCESS[phase] });
});
