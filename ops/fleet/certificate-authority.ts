import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';
import { checkDeviceId, generateRsaKeyPair } from '../../provisioning/device-key';

/**
 * The fleet certificate authority: a self-signed RSA CA that signs device certificates (client
 * auth, from the devices' CSRs) and the hub's server certificate. The key is PEM (PKCS#8); the
 * caller keeps it 0600 (see fleet-ca-files.ts). Signatures are made with Node's native RSA, the
 * certificate structures with node-forge.
 */
export interface CaMaterial {
  keyPem: string;
  certPem: string;
}

export const CA_KEY_BITS = 3072;

const DAY_MS = 86_400_000;

/** A new CA, valid `days` (default 10 years); the key from Node's native generator (forge's takes seconds). */
export async function createCertificateAuthority(name: string, days = 3650): Promise<CaMaterial> {
  const { privateKey: keyPem } = await generateRsaKeyPair(CA_KEY_BITS);
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return selfSign({ privateKey, publicKey }, name, days);
}

function selfSign(keys: { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey }, name: string, days: number): CaMaterial {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = newSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
  const subject = [{ name: 'commonName', value: name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const keyPem = forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey)));
  signWith(cert, keyPem);
  return { keyPem, certPem: forge.pki.certificateToPem(cert) };
}

export interface IssueOptions {
  /** Validity start, ms since the epoch (default now, less a minute of clock skew or a tenth of the lifetime, whichever is less). */
  notBefore?: number;
  /** Validity end, ms since the epoch. */
  notAfter: number;
}

/**
 * Signs a device's CSR: client-auth certificate whose CN is the CSR's (a valid device id).
 * @throws when the CSR does not parse, its signature is wrong, or its CN is not a device id.
 */
export function issueDeviceCertificate(ca: CaMaterial, csrPem: string, options: IssueOptions & { expectedDeviceId?: string }): string {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    throw new Error(`the CSR does not parse: ${(err as Error).message}`);
  }
  if (!verifies(csr)) throw new Error('the CSR\'s signature does not match its public key');
  const cn = csr.subject.getField('CN');
  const deviceId = typeof cn?.value === 'string' ? cn.value : '';
  checkDeviceId(deviceId);
  if (options.expectedDeviceId !== undefined && deviceId !== options.expectedDeviceId) {
    throw new Error(`the CSR names device ${JSON.stringify(deviceId)}, not ${JSON.stringify(options.expectedDeviceId)}`);
  }
  return issue(ca, csr.publicKey as forge.pki.rsa.PublicKey, deviceId, options, [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
}

/** forge's verify() throws ("Encryption block is invalid") rather than return false for some bad signatures. */
function verifies(csr: forge.pki.CertificateSigningRequest): boolean {
  try {
    return csr.verify();
  } catch {
    return false;
  }
}

/** A server certificate for the hub: its names (DNS names and IP addresses) in subjectAltName. */
export function issueServerCertificate(ca: CaMaterial, publicKeyPem: string, hostnames: readonly string[], options: IssueOptions): string {
  if (hostnames.length === 0) throw new Error('a server certificate needs at least one hostname');
  const altNames = hostnames.map((name) => (/^[\d.]+$/.test(name) || name.includes(':') ? { type: 7, ip: name } : { type: 2, value: name }));
  return issue(ca, forge.pki.publicKeyFromPem(publicKeyPem) as forge.pki.rsa.PublicKey, hostnames[0], options, [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
}

function issue(ca: CaMaterial, publicKey: forge.pki.rsa.PublicKey, commonName: string, options: IssueOptions, extensions: object[]): string {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = newSerial();
  cert.validity.notBefore = new Date(options.notBefore ?? defaultNotBefore(options.notAfter));
  cert.validity.notAfter = new Date(options.notAfter);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([...extensions, { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() }]);
  signWith(cert, ca.keyPem);
  return forge.pki.certificateToPem(cert);
}

/**
 * Backdated for clock skew, but by no more than a tenth of the lifetime: a certificate of a few
 * seconds (tests) would otherwise be mostly past, and renewal at 2/3 of it due at once.
 */
function defaultNotBefore(notAfter: number): number {
  const now = Date.now();
  return now - Math.max(0, Math.min(60_000, (notAfter - now) / 10));
}

/** 16 random bytes, top bit clear so the DER integer stays positive. */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x10;
  return bytes.toString('hex');
}

/**
 * Signs the certificate with sha256WithRSAEncryption using Node's native RSA (forge's pure-JS
 * signature takes ~50 ms with a 3072-bit key; native takes ~2 ms).
 */
function signWith(cert: forge.pki.Certificate, keyPem: string): void {
  const sha256WithRsa = forge.pki.oids.sha256WithRSAEncryption;
  // forge's typings do not declare these fields, which it reads when it serializes the certificate.
  const writable = cert as forge.pki.Certificate & { signatureOid: string; siginfo: { algorithmOid: string }; tbsCertificate: forge.asn1.Asn1 };
  writable.signatureOid = sha256WithRsa;
  writable.siginfo.algorithmOid = sha256WithRsa;
  writable.md = forge.md.sha256.create();
  // getTBSCertificate exists in forge but is missing from its typings.
  writable.tbsCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(writable.tbsCertificate).getBytes(), 'binary');
  writable.signature = sign('sha256', tbs, createPrivateKey(keyPem)).toString('binary');
}
