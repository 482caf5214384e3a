import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The committed snapshots of the integration tests (test/integ.*.ts, test/integ.*.ts.snapshot/) must match what the
// sources synthesize. integ-runner, run without --update-on-failed or --force, synthesizes each test and compares
// it with its snapshot, and deploys nothing: no AWS account, credentials or network. Its settings (TypeScript
// through ts-node) are in integ.config.json. (This file is not named integ.*.ts, which integ-runner would take
// for an integration test.)

const ROOT = join(__dirname, '..', '..');
const UPDATE = 'npx integ-runner --update-on-failed --dry-run';

/** The environment without AWS credentials or profiles, and with the CDK CLI's telemetry off. */
function offlineEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...env,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
    // The offline defaults of test/integ-inputs.ts, whatever the calling shell has set.
    ...Object.fromEntries(Object.keys(env).filter((name) => name.startsWith('INTEG_')).map((name) => [name, ''])),
  };
}

test('the integration test snapshots are up to date (integ-runner, offline)', async () => {
  const runner = require.resolve('@aws-cdk/integ-runner/bin/integ-runner');
  let output: string;
  try {
    const result = await promisify(execFile)(process.execPath, [runner], { cwd: ROOT, env: offlineEnvironment(), maxBuffer: 16 * 1024 * 1024 });
    output = result.stdout + result.stderr;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`A snapshot of an integration test is out of date (or its synth failed). Check the difference below; `
      + `if it is intended, update the snapshots without deploying: ${UPDATE}\n\n${stdout}${stderr}`);
  }
  expect(output).toMatch(/UNCHANGED\s+integ\.byoasn\b/);
  expect(output).toMatch(/UNCHANGED\s+integ\.byoip\b/);
}, 240_000);
