import { X509Certificate } from 'node:crypto';
import { identityDirOf } from '../../firmware/main/identity-dir';
import { defaultDeviceId, enroll, EnrollmentError } from '../../provisioning/enroll';
import { loadIdentity } from '../../provisioning/identity-files';
import { renewalDelayMs } from '../../provisioning/renewal';
import { CliError } from './cli-error';
import { loadContext, out } from './cli-context';

/** Mistakes in what was typed (exit 2), as opposed to a refusal or a network failure (exit 1). */
const USAGE_CODES = new Set(['ENROLL_TOKEN_FORMAT', 'ENROLL_HUB_URL', 'ENROLL_DEVICE_ID']);

/**
 * `sightline provision enroll --hub URL --token T [--device-id ID]`: enrolls (or re-enrolls) this
 * device. The device id: --device-id, else `device.id` of the config, else the host name.
 */
export async function provisionEnrollCommand(options: { hub: string; token: string; deviceId?: string; config?: string }): Promise<number> {
  const { config, log } = loadContext(options.config);
  const identityDir = identityDirOf(config);
  const deviceId = options.deviceId ?? config.device.id ?? defaultDeviceId();
  let identity;
  try {
    identity = await enroll({ hubUrl: options.hub, token: options.token, deviceId, identityDir, log: log.child({ part: 'enroll' }) });
  } catch (err) {
    if (err instanceof EnrollmentError && USAGE_CODES.has(err.code)) throw new CliError(err.message);
    throw err;
  }
  out(`enrolled as ${identity.deviceId}: certificate ${identity.serial} valid until ${new Date(identity.notAfter).toISOString()}; uplink ${identity.uplinkUrl}; identity in ${identityDir}`);
  return 0;
}

/**
 * `sightline provision status [--json]`: the identity, its certificate's validity, when renewal is
 * due, the pinned CA. Exit 0 when enrolled with a current certificate, 1 when not enrolled or expired.
 */
export function provisionStatusCommand(options: { config?: string; json?: boolean }): number {
  const { config } = loadContext(options.config, 'warn');
  const identityDir = identityDirOf(config);
  const identity = loadIdentity(identityDir);
  if (identity === null) {
    if (options.json) out(JSON.stringify({ enrolled: false, identityDir }));
    else out(`not enrolled (no identity in ${identityDir}); enroll with \`sightline provision enroll --hub URL --token T\``);
    return 1;
  }
  const now = Date.now();
  const expired = identity.notAfter <= now;
  const ca = new X509Certificate(identity.caPem);
  // Without jitter: the renewal falls within 5% of the lifetime of this.
  const renewalDue = now + renewalDelayMs(identity.notBefore, identity.notAfter, now, () => 0.5);
  const status = {
    enrolled: true,
    identityDir,
    deviceId: identity.deviceId,
    uplinkUrl: identity.uplinkUrl,
    serial: identity.serial,
    notBefore: new Date(identity.notBefore).toISOString(),
    notAfter: new Date(identity.notAfter).toISOString(),
    expired,
    renewalDue: expired ? null : new Date(renewalDue).toISOString(),
    centralCa: { subject: ca.subject.replace(/\n/g, ', '), fingerprint256: ca.fingerprint256 },
  };
  if (options.json) {
    out(JSON.stringify(status));
  } else {
    out(`device        ${status.deviceId}`);
    out(`uplink        ${status.uplinkUrl}`);
    out(`certificate   ${status.serial}, valid ${status.notBefore} to ${status.notAfter}${expired ? ' EXPIRED: re-enroll with a new token (`sightline provision enroll`)' : ` (${days(identity.notAfter - now)} left)`}`);
    if (!expired) out(`renewal       due about ${status.renewalDue}, automatic while the uplink is connected`);
    out(`central CA    ${status.centralCa.subject}, SHA-256 ${status.centralCa.fingerprint256}`);
    out(`identity      ${identityDir}`);
  }
  return expired ? 1 : 0;
}

function days(ms: number): string {
  const d = ms / 86_400_000;
  return d >= 1 ? `${d.toFixed(1)} days` : `${(ms / 3_600_000).toFixed(1)} hours`;
}
