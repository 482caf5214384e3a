/**
 * Size bounds. CloudFormation rejects a custom resource response larger than 4096 bytes ("Response object is
 * too long"), and then the real outcome and message are lost. AWS's StatusMessage is free text of unknown
 * length, so everything that can carry it is capped here.
 */

/**
 * Most bytes of the serialized response `Data`. The rest of the response (StackId, RequestId, the ids,
 * Status, Reason) takes well under 1 KiB, so the whole response stays below 4096 bytes.
 */
export const MAX_DATA_BYTES = 2048;

/** Most bytes of AWS's text (a StatusMessage, an error message) quoted in one of our error messages. */
export const MAX_AWS_TEXT_BYTES = 1000;

/**
 * Most bytes of an error message. The Provider framework sends the message to CloudFormation as the reason,
 * and a multi-line message appears there twice (once as the message, once in the stack trace).
 */
export const MAX_ERROR_BYTES = 1500;

const ELLIPSIS = '…';

/**
 * Cuts a text so that it takes at most `maxBytes` bytes of UTF-8 inside a JSON string (where a quote or a
 * newline takes 2 bytes and another control character 6: every text capped here travels in a JSON response),
 * never inside a character, marking the cut with `…`.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) {
    return text;
  }
  const budget = Math.max(0, maxBytes - jsonBytes(ELLIPSIS));
  let used = 0;
  let end = 0;
  // Iterating the string yields whole code points, so a surrogate pair is never split.
  for (const char of text) {
    const size = jsonBytes(char);
    if (used + size > budget) {
      break;
    }
    used += size;
    end += char.length;
  }
  return text.slice(0, end) + ELLIPSIS;
}

/** The bytes a text takes inside a JSON string, quotes excluded. */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/**
 * Shrinks the `StatusMessage` of a response `Data` until the serialized `Data` fits in `MAX_DATA_BYTES`.
 * The other values are ids and states of bounded length.
 */
export function boundData<T extends { readonly StatusMessage: string }>(data: T): T {
  const size = (d: T) => Buffer.byteLength(JSON.stringify(d), 'utf8');
  if (size(data) <= MAX_DATA_BYTES) {
    return data;
  }
  const fits = (bytes: number) => size({ ...data, StatusMessage: truncateUtf8(data.StatusMessage, bytes) }) <= MAX_DATA_BYTES;
  // JSON escaping makes a character take 1 to 6 bytes (\u001f), so search for the largest cut that fits.
  let low = 0;
  let high = MAX_DATA_BYTES;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  return { ...data, StatusMessage: truncateUtf8(data.StatusMessage, low) };
}
