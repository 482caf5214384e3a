/**
 * The handler's own error type and the formatting of AWS's text inside error messages.
 */
import { errorName } from './ec2';
import { MAX_AWS_TEXT_BYTES, MAX_ERROR_BYTES, truncateUtf8 } from './limits';

/**
 * An error whose message is written for the user: it starts with the resource's logical id and says what
 * blocks and how to unblock it. CloudFormation shows it as the resource's status reason.
 */
export class HandlerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(truncateUtf8(message, MAX_ERROR_BYTES), options);
    this.name = 'HandlerError';
    // The Provider framework puts the stack trace into the CloudFormation reason, which must stay within the
    // 4096-byte response; the frames of a minified bundle would only crowd out the message.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** `Code: message` of an AWS error (just the message of a plain Error), on one line, capped, for quoting in our messages. */
export function awsErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const name = errorName(error);
  return truncateUtf8(oneLine(name === 'Error' ? message : `${name}: ${message}`), MAX_AWS_TEXT_BYTES);
}

/** AWS's StatusMessage, on one line, capped, or a placeholder when AWS gave none. */
export function statusText(statusMessage: string | undefined): string {
  return statusMessage ? truncateUtf8(oneLine(statusMessage), MAX_AWS_TEXT_BYTES) : '(AWS gave no status message)';
}

/**
 * AWS's text with every run of control characters (newlines included) as one space: a CloudFormation event
 * shows one line, and in the JSON response a control character takes up to 6 bytes.
 */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
