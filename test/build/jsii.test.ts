import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('the public API', () => {
  test('compiles under jsii\'s rules', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'check-jsii.mjs')], { encoding: 'utf8' });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).toContain('Errors: 0');
    expect(output).toContain('House rules (no unions, no index signatures): 0 violation(s)');
    expect(result.status).toBe(0);
  }, 120_000);
});
