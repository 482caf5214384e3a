/**
 * Kills mutants of lambda/validate.ts that the other tests let survive (issue 13): which findings are logged
 * as warnings, and where a service token must start.
 */
import type { Finding } from '../../lib/private/validation';
import { ALLOW_DOCUMENTATION_VALUES_ENV } from '../../lib/private/contract';
import { createLogger } from '../../lambda/logger';
import { accountFromServiceToken, enforceFindings } from '../../lambda/validate';
import { captureLogs } from './events';

afterEach(() => {
  jest.restoreAllMocks();
  delete process.env[ALLOW_DOCUMENTATION_VALUES_ENV];
});

describe('enforceFindings logs only the warnings', () => {
  const warning: Finding = { severity: 'warning', property: 'authorizationContext.message', message: 'expires soon.' };
  const error: Finding = { severity: 'error', property: 'cidr', message: 'cidr is private.' };

  test('an error is thrown, never logged as a warning', () => {
    const logs = captureLogs();

    expect(() => enforceFindings([error, warning], 'Asn', createLogger())).toThrow(new Error('Asn: cidr is private.'));
    expect(logs.records()).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'Asn: expires soon.', property: 'authorizationContext.message' }),
    ]);
  });

  test('a documentation value judged an error is not logged as a warning either', () => {
    const logs = captureLogs();
    const documentation: Finding = { severity: 'warning', property: 'asn', message: 'asn 64496 is for documentation.', documentationValue: true };

    expect(() => enforceFindings([documentation], 'Asn', createLogger())).toThrow('Asn: asn 64496 is for documentation.');
    expect(logs.records()).toEqual([]);
  });
});

describe('accountFromServiceToken reads only a token that is a Lambda ARN from its start', () => {
  test.each([
    'xarn:aws:lambda:us-east-1:123456789012:function:provider',
    ' arn:aws:lambda:us-east-1:123456789012:function:provider',
    'prefix/arn:aws:lambda:us-east-1:123456789012:function:provider',
  ])('nothing for %p', (token) => {
    expect(accountFromServiceToken(token)).toBeUndefined();
  });

  test('a function name is required', () => {
    expect(accountFromServiceToken('arn:aws:lambda:us-east-1:123456789012:function:')).toBeUndefined();
  });
});
