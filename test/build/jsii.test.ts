import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('the public API', () => {
  test('compiles under jsii\'s rules for every target, is documented throughout, and API.md is current', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'check-jsii.mjs')], { encoding: 'utf8' });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).toContain('Errors: 0');
    expect(output).toContain('House rules (no unions, no index signatures; four jsii targets named): 0 violation(s)');
    expect(output).toContain('Documentation: 0 undocumented public type(s) or member(s)');
    expect(output).toContain('API.md: current');
    expect(result.status).toBe(0);
  }, 120_000);
});
