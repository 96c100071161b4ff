import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CA_CERT_FILE, CA_KEY_FILE, DEFAULT_CA_NAME, FleetCaError, initFleetCa } from '../fleet/fleet-ca-files';
import { DEFAULT_TOKEN_TTL_MS, EnrollmentTokens, MAX_TOKEN_TTL_MS } from '../fleet/enrollment-tokens';
import { CliError } from './cli-error';
import { out } from './cli-context';

/** The hub's directory, which holds the fleet CA and the token database. */
export const DEFAULT_FLEET_DIR = './data/hub';

/** `sightline fleet ca init [--dir D] [--name N]`: creates the fleet CA; refuses to replace one. */
export async function fleetCaInitCommand(options: { dir?: string; name?: string }): Promise<number> {
  const dir = path.resolve(options.dir ?? DEFAULT_FLEET_DIR);
  const name = options.name ?? DEFAULT_CA_NAME;
  if (name.trim() === '' || name.length > 64) throw new CliError('--name must be 1 to 64 characters');
  let ca;
  try {
    ca = await initFleetCa(dir, name);
  } catch (err) {
    if (err instanceof FleetCaError && err.code === 'FLEET_CA_EXISTS') throw new CliError(err.message);
    throw err;
  }
  const cert = new X509Certificate(ca.certPem);
  out(`fleet CA "${name}" created in ${dir}`);
  out(`  ${CA_CERT_FILE}  valid to ${new Date(cert.validTo).toISOString()}, SHA-256 ${cert.fingerprint256}`);
  out(`  ${CA_KEY_FILE}   private key (0600): keep it secret and backed up; every device trusts it`);
  return 0;
}

/**
 * `sightline fleet token [--dir D] [--ttl-hours H] [--note TEXT] [--json]`: a one-time enrollment
 * token. Text output is the token alone on stdout (for `$(...)`), its expiry on stderr.
 */
export async function fleetTokenCommand(options: { dir?: string; ttlHours?: number; note?: string; json?: boolean }): Promise<number> {
  const dir = path.resolve(options.dir ?? DEFAULT_FLEET_DIR);
  const ttlMs = options.ttlHours === undefined ? DEFAULT_TOKEN_TTL_MS : options.ttlHours * 3_600_000;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) {
    throw new CliError(`--ttl-hours must be more than 0 and at most ${MAX_TOKEN_TTL_MS / 3_600_000}`);
  }
  if (options.note !== undefined && options.note.length > 500) throw new CliError('--note must be at most 500 characters');
  // A token made in another directory would fail at the hub's handshake: catch the wrong --dir here.
  if (!existsSync(path.join(dir, CA_CERT_FILE))) {
    throw new CliError(`no fleet CA in ${dir}: give the hub's directory with --dir, or create a CA with \`sightline fleet ca init --dir ${dir}\``);
  }
  const tokens = await EnrollmentTokens.open(dir);
  try {
    const made = await tokens.create({ ttlMs, note: options.note });
    const expiresAt = new Date(made.expiresAt).toISOString();
    if (options.json) {
      out(JSON.stringify({ token: made.token, tokenId: made.tokenId, expiresAt, note: options.note ?? null }));
    } else {
      out(made.token);
      process.stderr.write(`one-time enrollment token ${made.tokenId}, valid until ${expiresAt}: \`sightline provision enroll --hub https://HUB:PORT --token TOKEN\` on the device\n`);
    }
  } finally {
    await tokens.close();
  }
  return 0;
}
