/**
 * The device's identity on disk, in one directory (0700):
 *   device.pem       its PKCS#8 private key, then its certificate (0600, replaced atomically)
 *   central-ca.pem   the pinned fleet CA certificate: the only anchor the uplink trusts
 *   enrollment.json  { deviceId, uplinkUrl, enrolledAt }
 * Loading checks that the three agree (key matches certificate, certificate issued by the pinned
 * CA for this device id), so a tampered or mixed-up file is refused with its name rather than
 * discovered as a TLS failure later.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../drivers/log';
import { writeFilesAtomic } from './atomic-file';
import { certificateFacts } from './certificates';
import { checkDeviceId } from './device-key';

export interface DeviceIdentity {
  deviceId: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  certPem: string;
  /** The pinned central (fleet) CA certificate. */
  caPem: string;
  /** wss://host:port of the hub's uplink. */
  uplinkUrl: string;
  /** The certificate's validity, ms since the epoch. */
  notBefore: number;
  notAfter: number;
  /** Lower-case hex. */
  serial: string;
}

export const DEVICE_FILE = 'device.pem';
export const CA_FILE = 'central-ca.pem';
export const ENROLLMENT_FILE = 'enrollment.json';
const IDENTITY_FILES = [DEVICE_FILE, CA_FILE, ENROLLMENT_FILE] as const;
/** Each file holds a key and a certificate or two: anything bigger is not ours. */
const MAX_FILE_BYTES = 64 * 1024;

/** An identity that is present but unusable; `file` is the one at fault. */
export class IdentityError extends Error {
  readonly code = 'IDENTITY_INVALID';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

const REENROLL = 're-enroll with `sightline provision enroll --hub URL --token T`';

const enrollmentSchema = z.strictObject({
  deviceId: z.string(),
  uplinkUrl: z.string().regex(/^wss:\/\/[^\s/]+(\/\S*)?$/, { error: 'must be a wss:// URL' }),
  enrolledAt: z.string(),
});

/**
 * The identity in `dir`, or null when the device is not enrolled (none of the files exist).
 * A group- or world-readable device.pem is made 0600 (and logged when `log` is given).
 * An expired certificate is returned as is: the caller decides (renew, or re-enroll).
 * @throws IdentityError naming the file when a file is missing, unreadable, tampered or inconsistent.
 */
export function loadIdentity(dir: string, log?: Logger): DeviceIdentity | null {
  const present = IDENTITY_FILES.filter((name) => existsSync(path.join(dir, name)));
  if (present.length === 0) return null;
  const missing = IDENTITY_FILES.filter((name) => !present.includes(name));
  if (missing.length > 0) {
    const file = path.join(dir, missing[0]);
    throw new IdentityError(`device identity in ${dir} is incomplete: ${file} is missing (interrupted enrollment, or deleted); ${REENROLL}`, file);
  }
  const enrollmentFile = path.join(dir, ENROLLMENT_FILE);
  const enrollment = readEnrollment(enrollmentFile);
  const deviceFile = path.join(dir, DEVICE_FILE);
  keepPrivate(deviceFile, log);
  const { keyPem, certPem } = splitDeviceFile(readBounded(deviceFile), deviceFile);
  const caFile = path.join(dir, CA_FILE);
  const caPem = onlyCertificate(readBounded(caFile), caFile);
  return checkIdentity({ deviceId: enrollment.deviceId, keyPem, certPem, caPem, uplinkUrl: enrollment.uplinkUrl }, { device: deviceFile, ca: caFile, enrollment: enrollmentFile });
}

/**
 * Writes a new identity (enrollment or re-enrollment) after checking it is consistent; the
 * directory is made 0700 and every file 0600, each replaced atomically.
 * @throws IdentityError when the parts do not agree (nothing is written then).
 */
export function saveIdentity(dir: string, identity: Omit<DeviceIdentity, 'notBefore' | 'notAfter' | 'serial'>): DeviceIdentity {
  const files = { device: path.join(dir, DEVICE_FILE), ca: path.join(dir, CA_FILE), enrollment: path.join(dir, ENROLLMENT_FILE) };
  const checked = checkIdentity(identity, files);
  if (!enrollmentSchema.shape.uplinkUrl.safeParse(identity.uplinkUrl).success) {
    throw new IdentityError(`the uplink URL ${JSON.stringify(identity.uplinkUrl.slice(0, 200))} for ${files.enrollment} must be a wss:// URL`, files.enrollment);
  }
  makePrivateDirectory(dir);
  const enrollment = { deviceId: identity.deviceId, uplinkUrl: identity.uplinkUrl, enrolledAt: new Date().toISOString() };
  // device.pem last in the list: should the renames be cut short, the old key and certificate stay.
  writeFilesAtomic(
    [
      { file: files.ca, data: ensureNewline(checked.caPem) },
      { file: files.enrollment, data: `${JSON.stringify(enrollment, null, 2)}\n` },
      { file: files.device, data: deviceFileText(checked.keyPem, checked.certPem) },
    ],
    0o600,
  );
  return checked;
}

/**
 * Replaces the key and certificate after a renewal, keeping the pinned CA and enrollment. The new
 * certificate must name this device, be issued by the pinned CA, match the key, and not be expired.
 * @throws IdentityError when the device is not enrolled or the new certificate does not qualify (nothing is written then).
 */
export function installRenewedCertificate(dir: string, keyPem: string, certPem: string): DeviceIdentity {
  const current = loadIdentity(dir);
  const deviceFile = path.join(dir, DEVICE_FILE);
  if (current === null) throw new IdentityError(`cannot install a renewed certificate: the device is not enrolled (no identity in ${dir})`, deviceFile);
  const renewed = checkIdentity(
    { deviceId: current.deviceId, keyPem, certPem, caPem: current.caPem, uplinkUrl: current.uplinkUrl },
    { device: deviceFile, ca: path.join(dir, CA_FILE), enrollment: path.join(dir, ENROLLMENT_FILE) },
    'the renewed certificate',
  );
  if (renewed.notAfter <= Date.now()) throw new IdentityError(`the renewed certificate for ${deviceFile} expired at ${new Date(renewed.notAfter).toISOString()}; keeping the current one`, deviceFile);
  writeFilesAtomic([{ file: deviceFile, data: deviceFileText(renewed.keyPem, renewed.certPem) }], 0o600);
  return renewed;
}

interface IdentityFiles {
  device: string;
  ca: string;
  enrollment: string;
}

/** Checks that key, certificate, CA and device id agree; `what` names the certificate in messages. */
function checkIdentity(
  identity: Omit<DeviceIdentity, 'notBefore' | 'notAfter' | 'serial'>,
  files: IdentityFiles,
  what = 'the device certificate',
): DeviceIdentity {
  try {
    checkDeviceId(identity.deviceId);
  } catch (err) {
    throw new IdentityError(`${files.enrollment}: ${(err as Error).message}`, files.enrollment);
  }
  // Normalized to one PEM block each, as they will be written and read back.
  const { keyPem, certPem } = splitDeviceFile(`${identity.keyPem}\n${identity.certPem}`, files.device);
  const caPem = onlyCertificate(identity.caPem, files.ca);
  const key = parse(() => createPrivateKey(keyPem), files.device, 'the private key does not parse');
  const cert = parse(() => new X509Certificate(certPem), files.device, `${what} does not parse`);
  const ca = parse(() => new X509Certificate(caPem), files.ca, 'the pinned CA certificate does not parse');
  if (!ca.ca) throw new IdentityError(`${files.ca} is not a CA certificate (no basicConstraints CA:TRUE); ${REENROLL}`, files.ca);
  if (!matches(cert, key)) {
    throw new IdentityError(`${files.device}: the private key does not match ${what} (tampered, or key and certificate from different enrollments); ${REENROLL}`, files.device);
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new IdentityError(`${files.device}: ${what} was not issued by the pinned CA in ${files.ca} (tampered, or from another fleet); ${REENROLL}`, files.device);
  }
  const facts = certificateFacts(certPem);
  if (facts.commonName !== identity.deviceId) {
    throw new IdentityError(
      `${files.device}: ${what} names device ${JSON.stringify(facts.commonName)}, but ${files.enrollment} says ${JSON.stringify(identity.deviceId)}; ${REENROLL}`,
      files.device,
    );
  }
  return {
    deviceId: identity.deviceId,
    keyPem: ensureNewline(keyPem),
    certPem: ensureNewline(certPem),
    caPem: ensureNewline(caPem),
    uplinkUrl: identity.uplinkUrl,
    notBefore: facts.notBefore,
    notAfter: facts.notAfter,
    serial: facts.serial,
  };
}

function matches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // e.g. an EC key against an RSA certificate
  }
}

function parse<T>(fn: () => T, file: string, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw new IdentityError(`${file}: ${what} (${(err as Error).message}); ${REENROLL}`, file);
  }
}

function readBounded(file: string): string {
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) throw new Error(`${size} bytes, more than the ${MAX_FILE_BYTES} an identity file can be`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new IdentityError(`cannot read ${file}: ${(err as Error).message}`, file);
  }
}

function readEnrollment(file: string): z.infer<typeof enrollmentSchema> {
  let data: unknown;
  try {
    data = JSON.parse(readBounded(file));
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    throw new IdentityError(`${file} is not valid JSON (${(err as Error).message}); ${REENROLL}`, file);
  }
  const parsed = enrollmentSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IdentityError(`${file}: ${issue.path.join('.') || 'the content'} ${issue.message}; ${REENROLL}`, file);
  }
  return parsed.data;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----/g;

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: m[0] }));
}

/** device.pem: exactly one PKCS#8 key, then the certificate (further certificates, a chain, are ignored). */
function splitDeviceFile(text: string, file: string): { keyPem: string; certPem: string } {
  const blocks = pemBlocks(text);
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (keys.length !== 1 || keys[0].label !== 'PRIVATE KEY') {
    throw new IdentityError(`${file} must hold exactly one unencrypted PKCS#8 private key (BEGIN PRIVATE KEY), found ${keys.map((k) => k.label).join(', ') || 'none'}; ${REENROLL}`, file);
  }
  if (certs.length === 0) throw new IdentityError(`${file} holds no certificate after the private key; ${REENROLL}`, file);
  return { keyPem: keys[0].pem, certPem: certs[0].pem };
}

function onlyCertificate(text: string, file: string): string {
  const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length !== 1) throw new IdentityError(`${file} must hold exactly one certificate (the pinned fleet CA), found ${certs.length}; ${REENROLL}`, file);
  return certs[0].pem;
}

function deviceFileText(keyPem: string, certPem: string): string {
  return `${ensureNewline(keyPem.trim())}${ensureNewline(certPem.trim())}`;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The identity directory 0700, created if missing, tightened if others could enter it. */
function makePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((lstatSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

function keepPrivate(file: string, log: Logger | undefined): void {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(file, 0o600);
    log?.warn({ file, mode: mode.toString(8) }, 'device key file was readable by others; made it 0600');
  } catch (err) {
    throw new IdentityError(`${file} holds the device's private key but is readable by others (mode ${mode.toString(8)}) and could not be made 0600: ${(err as Error).message}`, file);
  }
}
