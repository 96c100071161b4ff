import { createCertificateAuthority, issueDeviceCertificate, issueServerCertificate, type CaMaterial } from '../../ops/fleet/certificate-authority';
import { generateDeviceKeyAndCsr, generateRsaKeyPair } from '../../provisioning/device-key';

const DAY = 86_400_000;

/** Real certificates for tests: a CA, device (client) and server credentials it signs. */
export interface Credentials {
  keyPem: string;
  certPem: string;
}

export function testCa(name = 'Sightline Test Fleet CA'): Promise<CaMaterial> {
  return createCertificateAuthority(name);
}

/** A device key and certificate (CN = deviceId) signed by `ca`; validity adjustable for expiry tests. */
export async function deviceCredentials(ca: CaMaterial, deviceId: string, validity: { notBefore?: number; notAfter?: number } = {}): Promise<Credentials> {
  const { keyPem, csrPem } = await generateDeviceKeyAndCsr(deviceId);
  const certPem = issueDeviceCertificate(ca, csrPem, { notBefore: validity.notBefore, notAfter: validity.notAfter ?? Date.now() + 30 * DAY });
  return { keyPem, certPem };
}

/** A server key and certificate for these names (DNS names or IPs) signed by `ca`. */
export async function serverCredentials(ca: CaMaterial, hostnames: readonly string[] = ['localhost', '127.0.0.1']): Promise<Credentials> {
  const { privateKey, publicKey } = await generateRsaKeyPair(2048);
  return { keyPem: privateKey, certPem: issueServerCertificate(ca, publicKey, hostnames, { notAfter: Date.now() + 30 * DAY }) };
}
