import { HandlerError, awsErrorText, statusText } from '../../lambda/errors';
import { MAX_AWS_TEXT_BYTES, MAX_ERROR_BYTES } from '../../lambda/limits';
import { ec2Error } from './events';

describe('HandlerError', () => {
  test('keeps a short message and a stack without frames', () => {
    const error = new HandlerError('Asn: something.');

    expect(error.message).toBe('Asn: something.');
    expect(error.name).toBe('HandlerError');
    expect(error.stack).toBe('HandlerError: Asn: something.');
  });

  test('caps a long message', () => {
    const error = new HandlerError(`Asn: ${'x'.repeat(10000)}`);

    expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(MAX_ERROR_BYTES);
    expect(error.message.endsWith('…')).toBe(true);
  });

  test('keeps the cause', () => {
    const cause = new Error('inner');

    expect(new HandlerError('outer', { cause }).cause).toBe(cause);
  });
});

describe('awsErrorText', () => {
  test("is the error's code and message", () => {
    expect(awsErrorText(ec2Error('IncorrectState', 'The ASN is provisioned.'))).toBe('IncorrectState: The ASN is provisioned.');
  });

  test('is capped', () => {
    expect(Buffer.byteLength(awsErrorText(ec2Error('IncorrectState', 'y'.repeat(10000))))).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
  });

  test('copes with something that is not an Error', () => {
    expect(awsErrorText('boom')).toBe('boom');
    expect(awsErrorText(new Error('plain'))).toBe('plain');
  });
});

describe('statusText', () => {
  test("is AWS's message, capped, or says there was none", () => {
    expect(statusText('Provisioning failed.')).toBe('Provisioning failed.');
    expect(statusText(undefined)).toBe('(AWS gave no status message)');
    expect(statusText('')).toBe('(AWS gave no status message)');
    expect(Buffer.byteLength(statusText('z'.repeat(5000)))).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
  });
});

describe('caps that hold once the text is escaped into the JSON response', () => {
  const escapedBytes = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;

  test("AWS's text loses its control characters, which CloudFormation shows on one line", () => {
    expect(statusText('Provisioning\nfailed.\r\n\u0001Retry.')).toBe('Provisioning failed. Retry.');
    expect(awsErrorText(ec2Error('IncorrectState', 'line one\nline two'))).toBe('IncorrectState: line one line two');
  });

  test('a status message of control characters stays within the cap when escaped', () => {
    expect(escapedBytes(statusText('\u0001'.repeat(5000)))).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
    expect(escapedBytes(statusText('"'.repeat(5000)))).toBeLessThanOrEqual(MAX_AWS_TEXT_BYTES);
  });

  test('a message of quotes, newlines and control characters stays within the cap when escaped', () => {
    for (const filler of ['"', '\n', '\u0001', '\\']) {
      const error = new HandlerError(`Asn: ${filler.repeat(5000)}`);
      expect(escapedBytes(error.message)).toBeLessThanOrEqual(MAX_ERROR_BYTES);
      expect(error.message.endsWith('…')).toBe(true);
    }
  });
});
