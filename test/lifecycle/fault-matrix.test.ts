import type { Ec2Emulator, FaultSpec } from '../emulator/ec2-emulator';
import type { OperationResult } from './cloudformation';
import { HarnessOptions, JumpingClock, leftovers, startHarness } from './harness';
import { BYOIP_EXAMPLE_CIDRS, SynthesizedStack, Template, synthesizeByoipExample, synthesizeExample } from './synth';

/**
 * For every lifecycle phase, every EC2 call the handler makes in it, and every kind of fault: inject the fault
 * into the first such call, and in a second case into the second one (for a read, typically the first
 * isComplete poll after onEvent's read; for a mutation, the second resource's), run the phase, then destroy the stack (as a user would after a failure) and check
 * that nothing is left provisioned, associated or advertised. Prints the totals.
 *
 * Two matrices: the ASN calls on the ByoasnExample stack, and the BYOIP calls on the ByoipExample stack (whose
 * replacement moves the IPv4 range, its association and its advertisement to another range).
 */

const PHASES = ['create', 'update (replacement)', 'delete'] as const;
const FAULTS: Record<string, FaultSpec> = {
  'throttling': { kind: 'error', code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
  'HTTP 500': 'internalError',
  'dropped connection': 'drop',
  'applied, answer lost': 'applyThenDrop',
};
/** Reads lag each change by this much, as EC2's eventually consistent Describe calls do. */
const CONSISTENCY_DELAY_MS = 15_000;

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

/** One matrix: a stack, its replacement, the calls to fault, and how the emulator is set up. */
interface Matrix {
  /** Starts the totals line, e.g. `Fault matrix`. */
  readonly title: string;
  readonly synthesize: () => SynthesizedStack;
  /** The template of the 'update (replacement)' phase. */
  readonly replacement: (template: Template) => Template;
  readonly actions: readonly string[];
  readonly mutating: ReadonlySet<string>;
  readonly harness: HarnessOptions;
  /** Sets up what exists outside the stack. */
  readonly seed: (emulator: Ec2Emulator) => void;
  /** AWS time to let pass after the final destroy, for the work AWS accepted to finish (a BYOIP deprovisioning). */
  readonly settleMs: number;
}

/** The template with the properties of the resources that `match` picks changed. */
function changed(template: Template, match: (type: string, props: Record<string, unknown>) => boolean, properties: Record<string, unknown>): Template {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  const picked = Object.values(copy.Resources).filter((r) => match(r.Type, r.Properties ?? {}));
  expect(picked.length).toBeGreaterThan(0);
  picked.forEach((r) => Object.assign(r.Properties as Record<string, unknown>, properties));
  return copy;
}

const ASN_MATRIX: Matrix = {
  title: 'Fault matrix',
  synthesize: synthesizeExample,
  replacement: (template) => changed(template, (_, p) => p.Cidr === '203.0.113.0/24', { Cidr: '198.51.100.0/24' }),
  actions: [
    'DescribeIpamByoasn', 'DescribeByoipCidrs',
    'ProvisionIpamByoasn', 'DeprovisionIpamByoasn', 'AssociateIpamByoasn', 'DisassociateIpamByoasn',
  ],
  mutating: new Set(['ProvisionIpamByoasn', 'DeprovisionIpamByoasn', 'AssociateIpamByoasn', 'DisassociateIpamByoasn']),
  harness: {
    emulatorOptions: {
      delays: { provisionAsn: 60_000, deprovisionAsn: 30_000, associate: 30_000, disassociate: 20_000 },
      consistencyDelayMs: CONSISTENCY_DELAY_MS,
    },
  },
  seed: (emulator) => emulator.addByoipCidr({ cidr: '198.51.100.0/24' }),
  settleMs: 0,
};

/** The range that the BYOIP matrix's replacement moves the IPv4 range (and its association and advertisement) to. */
const BYOIP_REPLACEMENT_CIDR = '192.0.2.0/24';
const BYOIP_DELAYS = {
  provisionAsn: 60_000, deprovisionAsn: 30_000, associate: 30_000, disassociate: 20_000,
  provisionCidr: 60_000, deprovisionCidr: 30_000, advertise: 30_000, withdraw: 20_000,
};

const BYOIP_MATRIX: Matrix = {
  title: 'BYOIP fault matrix',
  synthesize: synthesizeByoipExample,
  replacement: (template) => withAuthorizationsInStep(changed(template, (_, p) => p.Cidr === BYOIP_EXAMPLE_CIDRS[0], { Cidr: BYOIP_REPLACEMENT_CIDR })),
  actions: ['DescribeByoipCidrs', 'ProvisionByoipCidr', 'DeprovisionByoipCidr', 'AdvertiseByoipCidr', 'WithdrawByoipCidr'],
  mutating: new Set(['ProvisionByoipCidr', 'DeprovisionByoipCidr', 'AdvertiseByoipCidr', 'WithdrawByoipCidr']),
  // The stack brings its ranges: nothing is seeded.
  harness: { byoipCidrs: [], emulatorOptions: { delays: BYOIP_DELAYS, consistencyDelayMs: CONSISTENCY_DELAY_MS } },
  seed: () => undefined,
  settleMs: BYOIP_DELAYS.deprovisionCidr + CONSISTENCY_DELAY_MS,
};

/** A matrix's stack, templates, dry-run call counts and outcomes. */
interface MatrixRun {
  readonly matrix: Matrix;
  stack: SynthesizedStack;
  replaced: Template;
  /** How many times each phase calls each action without faults, from a dry run: a fault on call n needs n. */
  readonly callCounts: Map<string, number>;
  readonly outcomes: Outcome[];
}

/**
 * Runs one case: the stack brought to the phase's starting point, `arm` called, the phase run, `check` called,
 * then the stack destroyed (a second time if the first attempt fails), as a user would.
 */
async function runCase(run: MatrixRun, phase: Phase, check: (emulator: Ec2Emulator, result: OperationResult) => void | Promise<void>, arm?: (emulator: Ec2Emulator) => void) {
  const { matrix, stack, replaced } = run;
  const { emulator, driver, clock } = await startHarness(stack, matrix.harness);
  try {
    matrix.seed(emulator);
    if (phase !== 'create') {
      expect((await driver.deploy(stack.template)).status).toBe('CREATE_COMPLETE');
    }
    emulator.clearCalls();
    arm?.(emulator);
    const result = phase === 'create' ? await driver.deploy(stack.template)
      : phase === 'update (replacement)' ? await driver.deploy(replaced)
        : await driver.destroy();
    await check(emulator, result);
    emulator.clearFaults();
    for (let attempt = 0; attempt < 2 && driver.resources.size > 0; attempt++) {
      await driver.destroy();
    }
    expect(driver.resources.size).toBe(0);
    settle(clock, matrix.settleMs);
    return leftovers(emulator);
  } finally {
    await emulator.stop();
  }
}

function settle(clock: JumpingClock, ms: number): void {
  if (ms > 0) {
    clock.advance(ms);
  }
}

/** The template with each ByoipCidr's authorization message naming its CIDR, as after a changed `Cidr`. */
function withAuthorizationsInStep(template: Template): Template {
  for (const resource of Object.values(template.Resources)) {
    const props = resource.Properties as Record<string, unknown> | undefined;
    if (resource.Type === 'Custom::ByoipCidr' && props !== undefined) {
      props.AuthorizationMessage = String(props.AuthorizationMessage).replace(/^(1\|aws\|\d{12}\|)[^|]+/, `$1${String(props.Cidr)}`);
    }
  }
  return template;
}

function totalsLine(title: string, outcomes: readonly Outcome[]): string[] {
  const fired = outcomes.filter((o) => o.fired);
  const lines = [''];
  // The table (one line per case, over a hundred) only on request; the totals always.
  const table = process.env.BYOASN_TABLES === '1' ? outcomes : [];
  if (table.length > 0) {
    lines.push(`${title} (phase × call × which call × fault):`);
  }
  for (const o of table) {
    lines.push(`  ${o.phase.padEnd(21)} ${o.action.padEnd(23)} call #${o.nth} ${o.fault.padEnd(20)} ${o.fired ? `${o.status.padEnd(24)} ${o.left.length === 0 ? 'clean' : `LEFT: ${o.left.join('; ')}`}` : '(call not made in this phase)'}`);
  }
  lines.push(`${title} totals: ${fired.length} cases tried, ${fired.filter((o) => o.survived).length} survived (the operation still succeeded), `
    + `${fired.filter((o) => o.left.length === 0).length} clean after destroy, ${fired.filter((o) => o.left.length > 0).length} lost; `
    + `${outcomes.length - fired.length} combinations not applicable.`
    + (table.length === 0 ? ' BYOASN_TABLES=1 prints every case.' : ''));
  return lines;
}

const runs = [ASN_MATRIX, BYOIP_MATRIX].map((matrix): MatrixRun => ({
  matrix, stack: undefined as unknown as SynthesizedStack, replaced: undefined as unknown as Template, callCounts: new Map(), outcomes: [],
}));

afterAll(() => {
  const lines = runs.filter((r) => r.outcomes.length > 0).flatMap((r) => totalsLine(r.matrix.title, r.outcomes));
  if (lines.length > 0) {
    process.stdout.write([...lines, ''].join('\n'));
  }
});

function defineMatrix(run: MatrixRun): void {
  const { matrix } = run;
  beforeAll(async () => {
    run.stack = matrix.synthesize();
    run.replaced = matrix.replacement(run.stack.template);
    for (const phase of PHASES) {
      await runCase(run, phase, async (emulator, result) => {
        expect(result).toEqual({ status: SUCCESS[phase] });
        for (const action of matrix.actions) {
          run.callCounts.set(`${phase}|${action}`, emulator.calls(action).length);
        }
      });
    }
  }, 60_000);

  const cases = PHASES.flatMap((phase) => matrix.actions.flatMap((action) => [1, 2].flatMap((nth) => Object.keys(FAULTS)
    .filter((fault) => fault !== 'applied, answer lost' || matrix.mutating.has(action))
    .map((fault) => [phase, action, nth, fault] as const))));

  test.each(cases)('%s, %s call #%d, %s: nothing is lost', async (phase, action, nth, fault) => {
    if ((run.callCounts.get(`${phase}|${action}`) ?? 0) < nth) {
      run.outcomes.push({ phase, action, nth, fault, fired: false, status: '', survived: false, left: [] });
      return;
    }
    let phaseResult: OperationResult | undefined;
    let fired = false;
    const left = await runCase(run, phase, (emulator, result) => {
      phaseResult = result;
      fired = emulator.calls(action).some((c) => c.fault !== undefined);
    }, (emulator) => emulator.failNext(action, FAULTS[fault], 1, nth - 1));
    run.outcomes.push({ phase, action, nth, fault, fired, status: phaseResult!.status, survived: phaseResult!.status === SUCCESS[phase], left });
    expect(fired).toBe(true);
    expect(left).toEqual([]);
    // Every injected fault is transient: retries and idempotent handling should carry the operation through.
    expect(phaseResult).toEqual({ status: SUCCESS[phase] });
  });
}

defineMatrix(runs[0]);

describe('ByoipExample: the BYOIP calls', () => {
  defineMatrix(runs[1]);
});
