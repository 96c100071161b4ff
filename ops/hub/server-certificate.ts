/**
 * The hub's TLS server identity (DIR/hub.key 0600, DIR/hub.crt), issued by the fleet CA so devices,
 * which pin that CA, accept it. Reissued when missing, broken, not from this CA, for other
 * hostnames, or expiring within 30 days; the key is kept when it is sound.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { generateRsaKeyPair } from '../../provisioning/device-key';
import type { Logger } from '../../drivers/log';
import { issueServerCertificate, type CaMaterial } from '../fleet/certificate-authority';
import { writeFileAtomic } from '../../provisioning/atomic-file';
import { HUB_CERT_FILE, HUB_KEY_FILE, hubFile } from './hub-files';

const DAY_MS = 86_400_000;
export const SERVER_CERT_RENEW_BEFORE_MS = 30 * DAY_MS;
export const DEFAULT_SERVER_CERT_LIFETIME_MS = 90 * DAY_MS;

export interface ServerCredentials {
  keyPem: string;
  certPem: string;
  notAfter: number;
}

export interface EnsureServerCertificateOptions {
  dir: string;
  ca: CaMaterial;
  hostnames: readonly string[];
  lifetimeMs?: number;
  log: Logger;
  now?: number;
}

export async function ensureServerCertificate(o: EnsureServerCertificateOptions): Promise<ServerCredentials> {
  const now = o.now ?? Date.now();
  const keyFile = hubFile(o.dir, HUB_KEY_FILE);
  const certFile = hubFile(o.dir, HUB_CERT_FILE);
  let keyPem = existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : null;
  if (keyPem !== null && !isSoundKey(keyPem)) {
    o.log.warn({ file: keyFile }, 'hub key does not parse as an RSA private key; making a new one');
    keyPem = null;
  }
  const certPem = existsSync(certFile) ? readFileSync(certFile, 'utf8') : null;
  if (keyPem !== null && certPem !== null) {
    const problem = certificateProblem(certPem, keyPem, o.ca, o.hostnames, now);
    if (problem === null) return { keyPem, certPem, notAfter: Date.parse(new X509Certificate(certPem).validTo) };
    o.log.info({ file: certFile, why: problem }, 'issuing a new hub server certificate');
  }
  if (keyPem === null) {
    keyPem = (await generateRsaKeyPair(2048)).privateKey;
  }
  const publicKeyPem = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
  const notAfter = now + (o.lifetimeMs ?? DEFAULT_SERVER_CERT_LIFETIME_MS);
  const newCert = issueServerCertificate(o.ca, publicKeyPem, o.hostnames, { notAfter });
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  // Key first: a crash between the two leaves a new key with the old cert, which the next start detects and reissues.
  writeFileAtomic(keyFile, keyPem, 0o600);
  writeFileAtomic(certFile, newCert, 0o644);
  return { keyPem, certPem: newCert, notAfter: Date.parse(new X509Certificate(newCert).validTo) };
}

function isSoundKey(keyPem: string): boolean {
  try {
    return createPrivateKey(keyPem).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

/** Why the certificate cannot be kept, or null when it can. */
export function certificateProblem(certPem: string, keyPem: string, ca: CaMaterial, hostnames: readonly string[], now: number): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return `the certificate does not parse (${(err as Error).message})`;
  }
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return 'not issued by the fleet CA';
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'does not match hub.key';
  const notAfter = Date.parse(cert.validTo);
  if (notAfter - now < SERVER_CERT_RENEW_BEFORE_MS) return `expires ${new Date(notAfter).toISOString()}, within 30 days`;
  const names = new Set(altNames(cert));
  if (names.size !== new Set(hostnames).size || !hostnames.every((h) => names.has(h))) return `issued for ${[...names].join(', ')}, not ${hostnames.join(', ')}`;
  return null;
}

/** "DNS:localhost, IP Address:127.0.0.1" -> ['localhost', '127.0.0.1']. */
function altNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter((name) => name !== '');
}
