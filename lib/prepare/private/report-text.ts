/**
 * The doctor's checklist as text: one line per check under its section, the fix indented below a check that
 * did not pass, and a last line that says what to do next. Lines wrap at 100 columns.
 */
import { DoctorCheck, DoctorCheckStatus } from '../doctor-check';

const WIDTH = 100;
const STATUS_WIDTH = 13;
const INDENT = ' '.repeat(2 + STATUS_WIDTH);

const LABELS: Record<DoctorCheckStatus, string> = {
  [DoctorCheckStatus.PASSED]: 'passed',
  [DoctorCheckStatus.WARNED]: 'warned',
  [DoctorCheckStatus.FAILED]: 'FAILED',
  [DoctorCheckStatus.NOT_CHECKED]: 'not checked',
};

export interface ReportHeader {
  readonly subject: string;
  readonly services: readonly string[];
}

export function renderText(header: ReportHeader, checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  lines.push(...wrap(`cdk-ipam-byoasn doctor: ${header.subject}`, '', '  '));
  lines.push(...wrap(`Asked: ${header.services.length > 0 ? header.services.join(', ') : 'no network service'}`, '', '  '));
  let section: string | undefined;
  for (const check of checks) {
    if (check.section !== section) {
      section = check.section;
      lines.push('', section);
    }
    lines.push(...wrap(check.summary, `  ${LABELS[check.status].padEnd(STATUS_WIDTH)}`, INDENT));
    if (check.fix !== undefined && check.status !== DoctorCheckStatus.PASSED) {
      lines.push(...wrap(`-> ${check.fix}`, INDENT, `${INDENT}   `));
    }
  }
  lines.push('', conclusion(checks));
  return `${lines.join('\n')}\n`;
}

/** Counts of each status. */
export function countByStatus(checks: readonly DoctorCheck[]): Record<DoctorCheckStatus, number> {
  const counts = { passed: 0, warned: 0, failed: 0, 'not-checked': 0 } as Record<DoctorCheckStatus, number>;
  for (const check of checks) {
    counts[check.status]++;
  }
  return counts;
}

function conclusion(checks: readonly DoctorCheck[]): string {
  const c = countByStatus(checks);
  const counts = `${c.failed} failed, ${c.warned} warned, ${c.passed} passed, ${c['not-checked']} not checked.`;
  if (c.failed > 0) {
    return `${counts} Fix what failed, run doctor again, then cdk deploy.`;
  }
  if (c['not-checked'] > 0) {
    return `${counts} Nothing failed, but some checks did not run (see why above).`;
  }
  return `${counts} Ready for cdk deploy.`;
}

/** Word-wraps `text` after `first`, continuing lines with `rest`; long words are not broken. */
function wrap(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/ +/)) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = rest + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}
