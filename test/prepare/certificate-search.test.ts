import { X509Certificate } from 'node:crypto';
import { findCertificates } from '../../lib/prepare/private/certificate-search';
import { remarkTexts } from '../../lib/prepare/private/rdap';
import { certificateLines } from './rdap-fixtures';
import { removeTestKeys, testKeys } from './keys';

afterAll(() => {
  removeTestKeys();
});

const fingerprint = () => new X509Certificate(testKeys().certificatePem).fingerprint256;

/** Searches remark lines as the doctor does: each remark joined, and all remarks joined. */
function search(...remarks: string[][]) {
  return findCertificates(remarkTexts(remarks.map((description) => ({ description }))));
}

describe('findCertificates', () => {
  test.each(['one-line', 'wrapped', 'bare', 'chopped'] as const)('finds the certificate pasted %s', (paste) => {
    const found = search(['Contact: noc@example.com', ...certificateLines(testKeys().certificatePem, paste), 'Thank you.']);
    expect(found.certificates.map((c) => c.fingerprint256)).toEqual([fingerprint()]);
    expect(found.unreadable).toBe(0);
  });

  test('finds it with text glued to both ends once line breaks are gone', () => {
    const bare = certificateLines(testKeys().certificatePem, 'bare').join('');
    const found = search([`AWS-cert:${bare}`, 'Thankyou']);
    expect(found.certificates).toHaveLength(1);
  });

  test('finds it split over several remarks, one line each (a registry that makes one remark per line)', () => {
    const lines = certificateLines(testKeys().certificatePem, 'wrapped');
    expect(search(...lines.map((l) => [l])).certificates).toHaveLength(1);
  });

  test('finds it with spaces collapsed or added inside (APNIC collapses runs of spaces)', () => {
    const spaced = certificateLines(testKeys().certificatePem, 'one-line')[0].replace(/(.{50})/g, '$1  ');
    expect(search([spaced]).certificates).toHaveLength(1);
  });

  test('finds two different certificates, each once', () => {
    const keys = testKeys();
    const found = search(certificateLines(keys.certificatePem, 'one-line'), certificateLines(keys.otherCertificatePem, 'wrapped'),
      certificateLines(keys.certificatePem, 'chopped'));
    expect(found.certificates).toHaveLength(2);
  });

  test('counts a certificate cut short as unreadable', () => {
    const oneLine = certificateLines(testKeys().certificatePem, 'one-line')[0];
    const found = search([oneLine.slice(0, 600)]);
    expect(found).toEqual({ certificates: [], unreadable: 1 });
  });

  test('finds nothing in ordinary remarks', () => {
    expect(search(['Report abuse to abuse@example.com', 'MIIsNotACertificate'])).toEqual({ certificates: [], unreadable: 0 });
    expect(findCertificates([])).toEqual({ certificates: [], unreadable: 0 });
  });
});
