/**
 * Kills mutants of lambda/common.ts that its own tests let survive (issue 13); the handler tests cover the rest.
 */
import 'aws-sdk-client-mock-jest';
import { DescribeByoipCidrsCommand } from '@aws-sdk/client-ec2';
import { CONSISTENCY_WINDOW_MS, Deadline } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import { ASSOCIATION_ID, association, associationCreate, byoipCidr, ec2Error, isCompleteEvent, mockedEc2 } from './events';

const { ec2, logs, givenCidrs } = mockedEc2();

test('the consistency window is two minutes', () => {
  expect(CONSISTENCY_WINDOW_MS).toBe(120_000);
});

test('a deadline with time left does not abort at once', async () => {
  const deadline = new Deadline(60_000);
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(deadline.signal.aborted).toBe(false);
  expect(deadline.remainingMs()).toBeGreaterThan(59_000);
});

test('isComplete logs its request and response under its own name', async () => {
  givenCidrs(byoipCidr([association('associated')]));
  await isComplete(isCompleteEvent(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Next: { Goal: 'created', Acted: true, At: Date.now() } }));

  const messages = logs.records().map((r) => r.message);
  expect(messages).toContain('isComplete Create request');
  expect(messages).toContain('isComplete Create response');
});

test('an AWS error that is not ours keeps its text, nothing scrubbed, and becomes the cause', async () => {
  const failure = ec2Error('AuthFailure', 'Stryker was here and was refused.', 401);
  ec2.on(DescribeByoipCidrsCommand).rejects(failure);

  const error = await onEvent(associationCreate()).then(() => undefined, (e: unknown) => e as Error & { cause?: unknown });

  expect(error?.message).toBe('Prefix: AuthFailure: Stryker was here and was refused.');
  expect(error?.cause).toBe(failure);
  expect(logs.records()).toContainEqual(expect.objectContaining({
    level: 'ERROR', message: 'onEvent Create failed', errorName: 'AuthFailure', errorMessage: 'Prefix: AuthFailure: Stryker was here and was refused.',
  }));
});

test('a status message that AWS left out is empty in Data', async () => {
  givenCidrs(byoipCidr([{ Asn: '64496', Cidr: '203.0.113.0/24', State: 'associated' }]));
  const response = await isComplete(isCompleteEvent(associationCreate(), { PhysicalResourceId: ASSOCIATION_ID, Next: { Goal: 'created', Acted: true, At: Date.now() } }));

  expect(response.Data?.StatusMessage).toBe('');
});
