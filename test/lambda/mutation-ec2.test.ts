/**
 * Kills mutants of lambda/ec2.ts that the other tests let survive (issue 13): every code of every error class
 * on its own (not hidden by an HTTP status that would classify it anyway), and the status boundaries.
 */
import {
  errorName,
  isParameterRefusal,
  isPermanentRefusal,
  isRefusal,
  isThrottling,
  isTransient,
  mayHaveBeenApplied,
} from '../../lambda/ec2';
import { ec2Error } from './events';

const network = (code: string) => Object.assign(new Error('socket hang up'), { code });
const named = (name: string) => Object.assign(new Error('no answer'), { name });

describe('throttling codes, each at HTTP 400', () => {
  test.each([
    'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'EC2ThrottledException',
    'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException', 'SlowDown', 'PriorRequestNotComplete',
  ])('%s is throttling, transient, no refusal, and was not applied', (code) => {
    const error = ec2Error(code, 'm', 400);
    expect(isThrottling(error)).toBe(true);
    expect(isTransient(error)).toBe(true);
    expect(isRefusal(error)).toBe(false);
    expect(mayHaveBeenApplied(error)).toBe(false);
  });

  test.each(['Throttled', 'throttling', 'RequestLimit', ''])('%p is no throttling', (code) => {
    expect(isThrottling(ec2Error(code, 'm', 400))).toBe(false);
  });

  test('429 is throttling whatever the code; 428 and 430 are not', () => {
    expect(isThrottling(ec2Error('Whatever', 'm', 429))).toBe(true);
    expect(isThrottling(ec2Error('Whatever', 'm', 428))).toBe(false);
    expect(isThrottling(ec2Error('Whatever', 'm', 430))).toBe(false);
  });
});

describe('transient failures without an answer', () => {
  test.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])('the network code %s is transient and may have been applied', (code) => {
    expect(isTransient(network(code))).toBe(true);
    expect(mayHaveBeenApplied(network(code))).toBe(true);
    expect(isRefusal(network(code))).toBe(false);
  });

  test.each(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError'])('the error name %s is transient', (name) => {
    expect(isTransient(named(name))).toBe(true);
  });

  test.each(['Timeout', 'Error', 'TypeError', ''])('the error name %p is not', (name) => {
    expect(isTransient(named(name))).toBe(false);
  });

  test('a network code that is no string is not', () => {
    expect(isTransient(Object.assign(new Error('m'), { code: 104 }))).toBe(false);
  });

  test('an answer decides, whatever the code: a 4xx with a network code is not transient', () => {
    const answered = Object.assign(ec2Error('IncorrectState', 'm', 400), { code: 'ECONNRESET' });
    expect(isTransient(answered)).toBe(false);
    const answeredTimeout = ec2Error('TimeoutError', 'm', 400);
    expect(isTransient(answeredTimeout)).toBe(false);
  });

  test('HTTP 499 is not transient, 500 is', () => {
    expect(isTransient(ec2Error('X', 'm', 499))).toBe(false);
    expect(isTransient(ec2Error('X', 'm', 500))).toBe(true);
    expect(mayHaveBeenApplied(ec2Error('X', 'm', 500))).toBe(true);
    expect(mayHaveBeenApplied(ec2Error('X', 'm', 499))).toBe(false);
  });

  test('no error at all is neither transient nor applied', () => {
    expect(isTransient(undefined)).toBe(false);
    expect(isTransient(null)).toBe(false);
    expect(mayHaveBeenApplied(undefined)).toBe(false);
    expect(mayHaveBeenApplied(null)).toBe(false);
  });

  test('a refusal after an ambiguous attempt may have been applied; after throttled attempts only, not', () => {
    expect(mayHaveBeenApplied(ec2Error('IncorrectState', 'm', 400, 3, ['throttled', 'ambiguous']))).toBe(true);
    expect(mayHaveBeenApplied(ec2Error('IncorrectState', 'm', 400, 3, ['throttled', 'throttled']))).toBe(false);
  });
});

describe('refusals', () => {
  test.each<[number, boolean]>([
    [399, false],
    [400, true],
    [404, true],
    [499, true],
    [500, false],
  ])('HTTP %i is a refusal: %p', (status, expected) => {
    expect(isRefusal(ec2Error('IncorrectState', 'm', status))).toBe(expected);
  });

  test('without a numeric status there is no refusal', () => {
    expect(isRefusal(Object.assign(new Error('m'), { $metadata: { httpStatusCode: '400' } }))).toBe(false);
    expect(isRefusal(Object.assign(new Error('m'), { $metadata: {} }))).toBe(false);
    expect(isRefusal(undefined)).toBe(false);
  });

  test.each(['UnauthorizedOperation', 'AuthFailure', 'OptInRequired', 'ResourceLimitExceeded', 'AccessDenied', 'AccessDeniedException'])(
    '%s is a permanent refusal even at HTTP 400', (code) => {
      expect(isPermanentRefusal(ec2Error(code, 'm', 400))).toBe(true);
    });

  test.each<[number, boolean]>([[400, false], [401, true], [402, false], [403, true], [404, false]])('HTTP %i alone makes a permanent refusal: %p', (status, expected) => {
    expect(isPermanentRefusal(ec2Error('SomethingElse', 'm', status))).toBe(expected);
  });

  test.each(['Unauthorized', 'OptIn', 'ResourceLimit', 'Auth'])('%s at HTTP 400 is no permanent refusal', (code) => {
    expect(isPermanentRefusal(ec2Error(code, 'm', 400))).toBe(false);
  });

  test.each(['InvalidParameterValue', 'InvalidParameter', 'MissingParameter', 'InvalidParameterCombination', 'ValidationError'])('%s refuses the parameters', (code) => {
    expect(isParameterRefusal(ec2Error(code, 'm', 400))).toBe(true);
  });

  test.each(['Invalid', 'Parameter', 'IncorrectState', 'InvalidAsn.InUse'])('%s does not', (code) => {
    expect(isParameterRefusal(ec2Error(code, 'm', 400))).toBe(false);
  });
});

describe('errorName', () => {
  test("is the SDK's code for an Error, and 'Error' for anything else", () => {
    expect(errorName(ec2Error('IncorrectState', 'm'))).toBe('IncorrectState');
    expect(errorName({ name: 'IncorrectState' })).toBe('Error');
    expect(errorName('IncorrectState')).toBe('Error');
    expect(errorName(undefined)).toBe('Error');
  });
});
