/**
 * Kills mutants of lambda/errors.ts, lambda/limits.ts and lambda/logger.ts that the other tests let survive
 * (issue 13).
 */
import { HandlerError } from '../../lambda/errors';
import { MAX_DATA_BYTES, boundData } from '../../lambda/limits';
import { redactedValues, scrubSecrets } from '../../lambda/logger';

describe('HandlerError', () => {
  test('keeps its cause, and a stack of just its name and message (no frames for the CloudFormation reason)', () => {
    const cause = new Error('aws');
    const error = new HandlerError('Asn: m', { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('HandlerError');
    expect(error.stack).toBe('HandlerError: Asn: m');
  });
});

describe('boundData', () => {
  const bytes = (data: unknown) => Buffer.byteLength(JSON.stringify(data), 'utf8');

  test('returns Data that fits as it is, up to exactly the bound', () => {
    const small = { StatusMessage: 'ok' };
    expect(boundData(small)).toBe(small);
    const exact = { StatusMessage: 'a'.repeat(MAX_DATA_BYTES - bytes({ StatusMessage: '' })) };
    expect(bytes(exact)).toBe(MAX_DATA_BYTES);
    expect(boundData(exact)).toBe(exact);
  });

  test('cuts the StatusMessage to fill the bound exactly when it can', () => {
    const bounded = boundData({ StatusMessage: 'a'.repeat(5000) });
    expect(bytes(bounded)).toBe(MAX_DATA_BYTES);
    expect(bounded.StatusMessage.endsWith('…')).toBe(true);
  });
});

describe('redactedValues', () => {
  test('finds the values of sensitive keys inside arrays too', () => {
    expect(redactedValues([{ Signature: 'abc' }, [{ AuthorizationSignature: 'def' }]])).toEqual(['abc', 'def']);
  });

  test.each([null, undefined, 'Signature', 42])('finds nothing in %p', (value) => {
    expect(redactedValues(value)).toEqual([]);
  });
});

describe('scrubSecrets', () => {
  test('scrubs secrets of 8 characters or more, and leaves shorter ones', () => {
    expect(scrubSecrets('a 12345678 b 1234567 c', ['12345678', '1234567'])).toBe('a *** b 1234567 c');
  });
});
