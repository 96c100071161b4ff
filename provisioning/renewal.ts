/**
 * Automatic certificate renewal: at about two thirds of the certificate's lifetime (jittered, so
 * a fleet enrolled together does not renew together) the device makes a new key pair, sends the
 * CSR over the open uplink (the `renew` function the uplink provides) and installs the new
 * certificate atomically. The old one stays valid until then, so service has no gap; the uplink
 * picks the new one up at its next connect. Failures are retried with backoff until the
 * certificate expires; past that only re-enrollment with a new token helps.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../drivers/log';
import { generateDeviceKeyAndCsr } from './device-key';
import { installRenewedCertificate, loadIdentity, type DeviceIdentity } from './identity-files';

export const RENEW_AT_FRACTION = 2 / 3;
/** Jitter, as a fraction of the lifetime, either side of the renewal point. */
export const RENEW_JITTER_FRACTION = 0.05;
export const DEFAULT_RETRY_MS = 60_000;
export const DEFAULT_MAX_RETRY_MS = 3_600_000;
/** After a renewal, the next one waits at least this long even if the new certificate is short-lived. */
const MIN_RENEWAL_GAP_MS = 1000;
/** A retry closer than this to expiry is not worth it. */
const MIN_RETRY_MS = 100;
/** setTimeout holds at most 2^31-1 ms (24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Milliseconds from `now` until renewal is due: at 2/3 of [notBefore, notAfter], plus or minus 5%
 * of the lifetime picked by `random` (in [0, 1)); 0 when that time has passed.
 */
export function renewalDelayMs(notBefore: number, notAfter: number, now: number, random: () => number): number {
  const lifetime = notAfter - notBefore;
  if (!(lifetime > 0)) return 0;
  const fraction = RENEW_AT_FRACTION + (2 * random() - 1) * RENEW_JITTER_FRACTION;
  return Math.max(0, Math.round(notBefore + lifetime * fraction - now));
}

export interface CertificateRenewalOptions {
  identityDir: string;
  /** Sends the CSR to the hub (over the uplink) and resolves with the new certificate PEM. */
  renew: (csrPem: string) => Promise<string>;
  log: Logger;
  random?: () => number;
  /** First retry delay after a failed renewal, doubled per failure (default 60 s). */
  retryMs?: number;
  /** Cap of the retry delay (default 1 h). */
  maxRetryMs?: number;
}

/**
 * Events: 'renewed' (DeviceIdentity), 'failed' (Error; a retry follows while the certificate is
 * valid), 'expired' (DeviceIdentity; no more attempts: re-enroll).
 */
export class CertificateRenewal extends EventEmitter {
  private timer: NodeJS.Timeout | null = null;
  private dueAt: number | null = null;
  private running = false;
  private failures = 0;
  private readonly random: () => number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(private readonly o: CertificateRenewalOptions) {
    super();
    this.random = o.random ?? Math.random;
    this.retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
    this.maxRetryMs = o.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
  }

  /** Schedules the next renewal from the certificate on disk. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    const identity = this.current();
    if (identity !== null) this.scheduleRenewal(identity, 0);
  }

  stop(): void {
    this.running = false;
    this.dueAt = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** When the next attempt is due (ms since the epoch), or null when none is scheduled. */
  nextAttemptAt(): number | null {
    return this.dueAt;
  }

  private current(): DeviceIdentity | null {
    try {
      const identity = loadIdentity(this.o.identityDir, this.o.log);
      if (identity === null) this.o.log.warn({ dir: this.o.identityDir }, 'not enrolled: no certificate to renew');
      return identity;
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'cannot renew: the device identity is broken');
      this.emit('failed', err);
      return null;
    }
  }

  private scheduleRenewal(identity: DeviceIdentity, minDelay: number): void {
    const now = Date.now();
    if (identity.notAfter <= now) return this.expired(identity);
    const delay = Math.max(minDelay, renewalDelayMs(identity.notBefore, identity.notAfter, now, this.random));
    this.o.log.info({ serial: identity.serial, notAfter: new Date(identity.notAfter).toISOString(), renewAt: new Date(now + delay).toISOString() }, 'certificate renewal scheduled');
    this.arm(now + delay);
  }

  private scheduleRetry(identity: DeviceIdentity): void {
    const now = Date.now();
    const remaining = identity.notAfter - now;
    const backoff = Math.min(this.maxRetryMs, this.retryMs * 2 ** Math.min(this.failures - 1, 30)) * (0.5 + this.random() / 2);
    if (remaining / 2 < MIN_RETRY_MS) {
      this.arm(identity.notAfter); // one last look at expiry (the certificate may have been replaced meanwhile)
      return;
    }
    // Never past expiry: when the backoff would overshoot, try again halfway to it.
    const delay = Math.min(backoff, remaining / 2);
    this.o.log.info({ retryAt: new Date(now + delay).toISOString(), failures: this.failures }, 'certificate renewal will be retried');
    this.arm(now + delay);
  }

  /** Fires at `dueAt`, re-arming across setTimeout's 24.8-day limit. */
  private arm(dueAt: number): void {
    this.dueAt = dueAt;
    if (this.timer !== null) clearTimeout(this.timer);
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, dueAt - Date.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.running || this.dueAt === null) return;
      if (Date.now() < this.dueAt) this.arm(this.dueAt);
      else void this.attempt();
    }, wait);
    // Renewal alone does not keep the process alive.
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    this.dueAt = null;
    const identity = this.current();
    if (identity === null || !this.running) return;
    if (identity.notAfter <= Date.now()) return this.expired(identity);
    // The file may have been replaced (re-enrolled, renewed elsewhere) since this was scheduled.
    if (this.failures === 0 && renewalDelayMs(identity.notBefore, identity.notAfter, Date.now(), () => 0) > 0) {
      return this.scheduleRenewal(identity, 0);
    }
    try {
      const { keyPem, csrPem } = await generateDeviceKeyAndCsr(identity.deviceId);
      this.o.log.info({ serial: identity.serial }, 'renewing the device certificate');
      const certPem = await this.o.renew(csrPem);
      if (!this.running) return; // stopped meanwhile: the old certificate stays, nothing is written
      const renewed = installRenewedCertificate(this.o.identityDir, keyPem, certPem);
      this.failures = 0;
      this.o.log.info({ serial: renewed.serial, notAfter: new Date(renewed.notAfter).toISOString() }, 'device certificate renewed');
      this.emit('renewed', renewed);
      if (this.running) this.scheduleRenewal(renewed, MIN_RENEWAL_GAP_MS);
    } catch (err) {
      if (!this.running) return;
      this.failures += 1;
      this.o.log.warn({ err: (err as Error).message, failures: this.failures, notAfter: new Date(identity.notAfter).toISOString() }, 'certificate renewal failed');
      this.emit('failed', err);
      if (this.running) this.scheduleRetry(identity);
    }
  }

  private expired(identity: DeviceIdentity): void {
    this.dueAt = null;
    this.o.log.error(
      { deviceId: identity.deviceId, serial: identity.serial, notAfter: new Date(identity.notAfter).toISOString() },
      'the device certificate has expired; the uplink cannot connect until the device is re-enrolled with a new token (`sightline provision enroll --hub URL --token T`)',
    );
    this.emit('expired', identity);
  }
}
