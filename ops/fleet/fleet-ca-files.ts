/**
 * The fleet CA on disk: FLEETDIR/ca.key (PKCS#8, 0600) and FLEETDIR/ca.crt. Made once by
 * `sightline fleet ca init`; never overwritten, since replacing it would orphan every enrolled device.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createFileExclusive } from '../../provisioning/atomic-file';
import { createCertificateAuthority, type CaMaterial } from './certificate-authority';

export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';
export const DEFAULT_CA_NAME = 'Sightline Fleet CA';

/** A fleet CA that cannot be made or used; the message names the file. */
export class FleetCaError extends Error {
  constructor(
    readonly code: 'FLEET_CA_EXISTS' | 'FLEET_CA_MISSING' | 'FLEET_CA_INVALID',
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'FleetCaError';
  }
}

/**
 * Creates the fleet CA in `fleetDir` (made 0700 if new): ca.key 0600, ca.crt 0644.
 * @throws FleetCaError FLEET_CA_EXISTS when either file exists (nothing is changed then).
 */
export async function initFleetCa(fleetDir: string, name = DEFAULT_CA_NAME): Promise<CaMaterial> {
  const keyFile = path.join(fleetDir, CA_KEY_FILE);
  const certFile = path.join(fleetDir, CA_CERT_FILE);
  refuseExisting(keyFile, certFile);
  mkdirSync(fleetDir, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority(name);
  // Checked again: another `fleet ca init` may have run while the key was being generated.
  refuseExisting(keyFile, certFile);
  try {
    createFileExclusive(keyFile, ca.keyPem, 0o600);
  } catch (err) {
    throw existsError(err, keyFile);
  }
  try {
    createFileExclusive(certFile, ca.certPem, 0o644);
  } catch (err) {
    rmSync(keyFile, { force: true }); // ours, made a moment ago: a key without its certificate is useless
    throw existsError(err, certFile);
  }
  return ca;
}

/**
 * The fleet CA of `fleetDir`, checked: the key is private (0600), parses and matches the
 * certificate, which is a CA and not expired.
 * @throws FleetCaError naming the missing or broken file.
 */
export function loadFleetCa(fleetDir: string): CaMaterial {
  const keyFile = path.join(fleetDir, CA_KEY_FILE);
  const certFile = path.join(fleetDir, CA_CERT_FILE);
  for (const file of [certFile, keyFile]) {
    if (!existsSync(file)) {
      throw new FleetCaError('FLEET_CA_MISSING', `no fleet CA in ${fleetDir}: ${file} is missing; create one with \`sightline fleet ca init --dir ${fleetDir}\``, file);
    }
  }
  const mode = statSync(keyFile).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new FleetCaError('FLEET_CA_INVALID', `${keyFile} holds the fleet CA's private key but others can read it (mode ${mode.toString(8)}); run \`chmod 600 ${keyFile}\` and consider the key exposed`, keyFile);
  }
  const keyPem = read(keyFile);
  const certPem = read(certFile);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new FleetCaError('FLEET_CA_INVALID', `${keyFile} is not a readable private key: ${(err as Error).message}`, keyFile);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new FleetCaError('FLEET_CA_INVALID', `${certFile} is not a readable certificate: ${(err as Error).message}`, certFile);
  }
  if (!cert.ca) throw new FleetCaError('FLEET_CA_INVALID', `${certFile} is not a CA certificate (no basicConstraints CA:TRUE)`, certFile);
  if (!cert.checkPrivateKey(key)) throw new FleetCaError('FLEET_CA_INVALID', `${keyFile} does not match the certificate in ${certFile}`, keyFile);
  const notAfter = Date.parse(cert.validTo);
  if (notAfter <= Date.now()) throw new FleetCaError('FLEET_CA_INVALID', `the fleet CA in ${certFile} expired at ${new Date(notAfter).toISOString()}`, certFile);
  return { keyPem, certPem };
}

function refuseExisting(keyFile: string, certFile: string): void {
  for (const file of [keyFile, certFile]) {
    if (existsSync(file)) {
      throw new FleetCaError('FLEET_CA_EXISTS', `a fleet CA already exists (${file}); refusing to overwrite it, since every enrolled device trusts it. Use another --dir, or move the old CA aside first`, file);
    }
  }
}

function existsError(err: unknown, file: string): Error {
  if ((err as NodeJS.ErrnoException).code === 'EEXIST') return new FleetCaError('FLEET_CA_EXISTS', `a fleet CA file appeared while this one was being made (${file}); refusing to overwrite it`, file);
  return err as Error;
}

function read(file: string): string {
  try {
    if (statSync(file).size > 64 * 1024) throw new Error('larger than 64 KB');
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new FleetCaError('FLEET_CA_INVALID', `cannot read ${file}: ${(err as Error).message}`, file);
  }
}

