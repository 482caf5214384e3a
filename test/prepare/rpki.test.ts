import { readRoaAnswer, roaQueryUrl, roaServiceName } from '../../lib/prepare/private/rpki';

/** A RIPEstat rpki-validation answer, shaped as the data call documents it. */
function ripestat(status: string, roas: Array<{ origin: string; prefix: string; max_length: number }> = []) {
  return {
    messages: [],
    data_call_name: 'rpki-validation',
    status: 'ok',
    status_code: 200,
    data: { resource: '64496', prefix: '203.0.113.0/24', validating_roas: roas.map((r) => ({ ...r, validity: 'valid' })), status, validator: 'routinator' },
  };
}

/** A Routinator /api/v1/validity answer, shaped as its manual documents it. */
function routinator(state: string, reason?: string) {
  return {
    validated_route: {
      route: { origin_asn: 'AS64496', prefix: '203.0.113.0/24' },
      validity: { state, reason, description: 'test', VRPs: { matched: [], unmatched_as: [{ asn: 'AS64511', prefix: '203.0.113.0/24', max_length: '24' }], unmatched_length: [] } },
    },
    generatedTime: '2025-01-01T00:00:00Z',
  };
}

describe('readRoaAnswer', () => {
  test.each([
    ['valid', 'valid'],
    ['invalid_asn', 'invalid-asn'],
    ['invalid_length', 'invalid-length'],
    ['unknown', 'not-found'],
  ])('reads RIPEstat status %s as %s', (status, state) => {
    expect(readRoaAnswer(ripestat(status), 64496)).toMatchObject({ ok: true, state });
  });

  test('reads an older RIPEstat "invalid" by its ROAs: a ROA for the ASN means the length is wrong', () => {
    expect(readRoaAnswer(ripestat('invalid', [{ origin: '64496', prefix: '203.0.112.0/23', max_length: 23 }]), 64496))
      .toEqual({ ok: true, state: 'invalid-length', vrps: [{ asn: 64496, prefix: '203.0.112.0/23', maxLength: 23 }] });
    expect(readRoaAnswer(ripestat('invalid', [{ origin: 'AS64511', prefix: '203.0.113.0/24', max_length: 24 }]), 64496))
      .toMatchObject({ ok: true, state: 'invalid-asn' });
  });

  test.each([
    ['valid', undefined, 'valid'],
    ['invalid', 'as', 'invalid-asn'],
    ['invalid', 'length', 'invalid-length'],
    ['not-found', undefined, 'not-found'],
  ])('reads Routinator state %s (reason %s) as %s', (state, reason, expected) => {
    expect(readRoaAnswer(routinator(state, reason), 64496)).toMatchObject({ ok: true, state: expected });
  });

  test('says why it cannot read other answers', () => {
    expect(readRoaAnswer({ hello: 'world' }, 1)).toEqual({ ok: false, reason: 'its answer is neither a RIPEstat rpki-validation nor a Routinator validity answer' });
    expect(readRoaAnswer({ status: 'error', data: { status: 'valid' } }, 1)).toEqual({ ok: false, reason: "it answered status 'error'" });
    expect(readRoaAnswer(ripestat('maybe'), 1)).toEqual({ ok: false, reason: "it answered an unknown status 'maybe'" });
  });
});

describe('roaQueryUrl', () => {
  test('adds RIPEstat\'s query to a plain URL', () => {
    expect(roaQueryUrl('https://stat.ripe.net/data/rpki-validation/data.json', 64496, '2001:db8::/32'))
      .toBe('https://stat.ripe.net/data/rpki-validation/data.json?resource=64496&prefix=2001%3Adb8%3A%3A%2F32');
  });

  test('fills {asn} and {prefix} placeholders', () => {
    const url = 'http://localhost:8323/api/v1/validity/AS{asn}/{prefix}';
    expect(roaQueryUrl(url, 64496, '203.0.113.0/24')).toBe('http://localhost:8323/api/v1/validity/AS64496/203.0.113.0/24');
    expect(roaServiceName(url)).toBe('http://localhost:8323/api/v1/validity/AS');
    expect(roaServiceName('https://stat.ripe.net/data/rpki-validation/data.json?sourceapp=x')).toBe('https://stat.ripe.net/data/rpki-validation/data.json');
  });
});
