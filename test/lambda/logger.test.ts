import { Logger } from '@aws-lambda-powertools/logger';
import { REDACTED, SERVICE_NAME, createLogger, redact, redactedValues, scrubSecrets } from '../../lambda/logger';
import { captureLogs } from './events';

afterEach(() => jest.restoreAllMocks());

describe('createLogger', () => {
  test('writes JSON lines for the cdk-ipam-byoasn service', () => {
    const logs = captureLogs();
    const logger = createLogger();

    logger.info('hello', { key: 'value' });

    expect(logger).toBeInstanceOf(Logger);
    expect(SERVICE_NAME).toBe('cdk-ipam-byoasn');
    expect(logs.records()).toEqual([expect.objectContaining({ level: 'INFO', message: 'hello', service: 'cdk-ipam-byoasn', key: 'value' })]);
  });
});

describe('redact', () => {
  test('replaces signatures and the response URL at any depth, and copies instead of changing', () => {
    const input = {
      ResponseURL: 'https://s3/presigned',
      ResourceProperties: { AuthorizationSignature: 'sig', Asn: '64496' },
      list: [{ AsnAuthorizationContext: { Message: 'm', Signature: 'sig' } }],
      missing: { Signature: undefined },
    };

    expect(redact(input)).toEqual({
      ResponseURL: REDACTED,
      ResourceProperties: { AuthorizationSignature: REDACTED, Asn: '64496' },
      list: [{ AsnAuthorizationContext: { Message: 'm', Signature: REDACTED } }],
      missing: { Signature: undefined },
    });
    expect(input.ResourceProperties.AuthorizationSignature).toBe('sig');
  });

  test('leaves values that are not objects alone', () => {
    expect(redact('text')).toBe('text');
    expect(redact(null)).toBeNull();
    expect(redact(3)).toBe(3);
  });
});

describe('redactedValues', () => {
  test('finds the values that redact hides', () => {
    expect(redactedValues({ AsnAuthorizationContext: { Message: 'm', Signature: 'sig' }, ResponseURL: 'url', other: ['x'] })).toEqual(['sig', 'url']);
  });
});

describe('scrubSecrets', () => {
  test('replaces every occurrence of each secret', () => {
    expect(scrubSecrets('a SECRET-VALUE b SECRET-VALUE', ['SECRET-VALUE'])).toBe('a *** b ***');
  });

  test('ignores strings too short to be a signature', () => {
    expect(scrubSecrets('a b c', ['a', ''])).toBe('a b c');
  });
});
