import { MAX_DATA_BYTES, boundData, truncateUtf8 } from '../../lambda/limits';

describe('truncateUtf8', () => {
  test('leaves a short text alone', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    expect(truncateUtf8('', 0)).toBe('');
  });

  test('cuts a long text to the byte budget and marks the cut', () => {
    const cut = truncateUtf8('abcdefghij', 6);

    expect(cut).toBe('abc…');
    expect(Buffer.byteLength(cut)).toBe(6);
  });

  test('never cuts inside a multi-byte character or a surrogate pair', () => {
    const euros = truncateUtf8('€€€€', 8); // 3 bytes each; the mark takes 3
    const emoji = truncateUtf8('😀😀😀', 9); // 4 bytes each

    expect(euros).toBe('€…');
    expect(emoji).toBe('😀…');
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(9);
  });
});

describe('boundData', () => {
  const data = (StatusMessage: string) => ({ Asn: '64496', IpamId: 'ipam-0123456789abcdef0', State: 'provisioned', StatusMessage });

  test('leaves small Data alone', () => {
    expect(boundData(data('fine'))).toEqual(data('fine'));
  });

  test.each([
    ['plain text', 'x'.repeat(100000)],
    ['multi-byte text', '€'.repeat(100000)],
    ['characters that JSON escapes to 6 bytes', '\u0001'.repeat(100000)],
    ['quotes and backslashes', '"\\'.repeat(50000)],
  ])('shrinks the StatusMessage of %s until the Data fits', (_, message) => {
    const bounded = boundData(data(message));

    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(MAX_DATA_BYTES);
    expect(bounded.StatusMessage.endsWith('…')).toBe(true);
    expect(bounded.StatusMessage.length).toBeGreaterThan(100);
    expect({ ...bounded, StatusMessage: '' }).toEqual(data(''));
  });
});
