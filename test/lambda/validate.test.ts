import type { Finding } from '../../lib/private/validation';
import { ALLOW_DOCUMENTATION_VALUES_ENV } from '../../lib/private/contract';
import { createLogger } from '../../lambda/logger';
import { accountFromServiceToken, enforceFindings } from '../../lambda/validate';
import { captureLogs } from './events';

afterEach(() => {
  jest.restoreAllMocks();
  delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
});

describe('accountFromServiceToken', () => {
  test.each([
    ['arn:aws:lambda:us-east-1:123456789012:function:provider', '123456789012'],
    ['arn:aws-cn:lambda:cn-north-1:123456789012:function:provider', '123456789012'],
    ['arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:provider:live', '123456789012'],
  ])('reads the account of %s', (token, account) => {
    expect(accountFromServiceToken(token)).toBe(account);
  });

  test.each([
    ['a topic ARN', 'arn:aws:sns:us-east-1:123456789012:topic'],
    ['a short account', 'arn:aws:lambda:us-east-1:1234:function:provider'],
    ['no ARN', 'provider'],
    ['no string', undefined],
  ])('gives nothing (the check is skipped) for %s', (_, token) => {
    expect(accountFromServiceToken(token)).toBeUndefined();
  });
});

describe('enforceFindings', () => {
  const documentation: Finding = { severity: 'warning', property: 'asn', message: 'asn 64496 is for documentation.', documentationValue: true };
  const warning: Finding = { severity: 'warning', property: 'authorizationContext.message', message: 'expires soon.' };
  const error: Finding = { severity: 'error', property: 'cidr', message: 'cidr is private.' };

  test('throws every error, each line starting with the logical id', () => {
    expect(() => enforceFindings([error, error], 'Prefix', createLogger())).toThrow(new Error('Prefix: cidr is private.\nPrefix: cidr is private.'));
  });

  test('treats documentation values as errors at deploy time', () => {
    captureLogs();
    expect(() => enforceFindings([documentation, warning], 'Asn', createLogger())).toThrow(new Error('Asn: asn 64496 is for documentation.'));
  });

  test.each(['true'])('accepts documentation values, with a warning, when the variable is %s', (value) => {
    process.env[ALLOW_DOCUMENTATION_VALUES_ENV] = value;
    const logs = captureLogs();

    enforceFindings([documentation], 'Asn', createLogger());

    expect(logs.records()).toEqual([expect.objectContaining({ level: 'WARN', message: 'Asn: asn 64496 is for documentation.', property: 'asn' })]);
  });

  test.each(['1', 'TRUE', 'yes', ''])("refuses documentation values when the variable is '%s' (only 'true' counts)", (value) => {
    process.env[ALLOW_DOCUMENTATION_VALUES_ENV] = value;

    expect(() => enforceFindings([documentation], 'Asn', createLogger())).toThrow('Asn: asn 64496 is for documentation.');
  });

  test('logs other warnings and goes on', () => {
    const logs = captureLogs();

    enforceFindings([warning], 'Asn', createLogger());

    expect(logs.records()).toEqual([expect.objectContaining({ level: 'WARN', message: 'Asn: expires soon.' })]);
  });
});
