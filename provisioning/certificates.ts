import { X509Certificate, createHash } from 'node:crypto';

/** What the device and the hub need to know of a certificate, from Node's own X.509 parser. */
export interface CertificateFacts {
  commonName: string;
  serial: string;
  notBefore: number;
  notAfter: number;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
}

/** The first certificate of a PEM bundle. @throws when there is none or it does not parse. */
export function certificateFacts(pem: string): CertificateFacts {
  const cert = new X509Certificate(pem);
  return {
    commonName: commonNameOf(cert.subject),
    serial: cert.serialNumber.toLowerCase(),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
  };
}

/** The CN of an X509Certificate subject ("CN=dev-1\nO=..."), or '' when it has none. */
export function commonNameOf(subject: string): string {
  for (const line of subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return '';
}
