/**
 * Enrollment, device side: a new key pair (the private key never leaves the device), its CSR sent
 * to the hub over TLS-PSK keyed by the one-time token, the returned certificate checked (our CN,
 * our public key, issued by the returned CA) and saved with the CA pinned. Also how an expired
 * device comes back: the same call with a new token replaces its identity.
 */
import { request, type RequestOptions } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { hostname } from 'node:os';
import type { Logger } from '../drivers/log';
import { generateDeviceKeyAndCsr, checkDeviceId } from './device-key';
import {
  ENROLL_PATH,
  ENROLL_PSK_CIPHERS,
  ENROLL_TLS_VERSION,
  MAX_ENROLL_BODY_BYTES,
  enrollErrorSchema,
  enrollResponseSchema,
  type EnrollResponse,
} from './enrollment-protocol';
import { parseEnrollmentToken, type EnrollmentToken } from './enrollment-token';
import { loadIdentity, saveIdentity, IdentityError, type DeviceIdentity } from './identity-files';

export interface EnrollOptions {
  /** https://host:port of the hub's enrollment endpoint. */
  hubUrl: string;
  /** `<tokenId>.<secret>` from `sightline fleet token`. */
  token: string;
  deviceId: string;
  identityDir: string;
  log: Logger;
  /** Connect and whole-request limit (default 30 s). */
  timeoutMs?: number;
}

export type EnrollErrorCode =
  | 'ENROLL_TOKEN_FORMAT'
  | 'ENROLL_HUB_URL'
  | 'ENROLL_DEVICE_ID'
  | 'ENROLL_UNREACHABLE'
  | 'ENROLL_TOKEN_REJECTED'
  | 'ENROLL_HANDSHAKE_FAILED'
  | 'ENROLL_TOKEN_UNKNOWN'
  | 'ENROLL_TOKEN_USED'
  | 'ENROLL_TOKEN_EXPIRED'
  | 'ENROLL_REFUSED'
  | 'ENROLL_BAD_RESPONSE';

/** Why enrollment failed, as the installer needs to hear it; `code` is stable for scripts and tests. */
export class EnrollmentError extends Error {
  constructor(
    readonly code: EnrollErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnrollmentError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** This machine's host name made a device id: other characters become '-', at most 64, starting with a letter or digit. */
export function defaultDeviceId(host = hostname()): string {
  const id = host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return id === '' ? 'sightline' : id;
}

/** Enrolls this device; its identity is written only when the hub's answer checks out. */
export async function enroll(o: EnrollOptions): Promise<DeviceIdentity> {
  let token: EnrollmentToken;
  try {
    token = parseEnrollmentToken(o.token);
  } catch (err) {
    throw new EnrollmentError('ENROLL_TOKEN_FORMAT', (err as Error).message);
  }
  const url = hubUrl(o.hubUrl);
  try {
    checkDeviceId(o.deviceId);
  } catch (err) {
    throw new EnrollmentError('ENROLL_DEVICE_ID', (err as Error).message);
  }
  noteExisting(o);
  const { keyPem, csrPem } = await generateDeviceKeyAndCsr(o.deviceId);
  o.log.info({ hub: url.origin, deviceId: o.deviceId, tokenId: token.tokenId }, 'enrolling');
  const response = await post(url, token, JSON.stringify({ csr: csrPem }), o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (response.deviceId !== o.deviceId) {
    throw new EnrollmentError('ENROLL_BAD_RESPONSE', `the hub answered for device ${JSON.stringify(response.deviceId)}, not ${JSON.stringify(o.deviceId)}; nothing was saved`);
  }
  let identity: DeviceIdentity;
  try {
    // Checks the certificate names us, holds our public key and is issued by the CA it came with.
    identity = saveIdentity(o.identityDir, { deviceId: o.deviceId, keyPem, certPem: response.certificate, caPem: response.caCertificate, uplinkUrl: response.uplinkUrl });
  } catch (err) {
    if (!(err instanceof IdentityError)) throw err;
    throw new EnrollmentError('ENROLL_BAD_RESPONSE', `the hub's answer does not check out, nothing was saved: ${err.message}`);
  }
  o.log.info({ deviceId: identity.deviceId, serial: identity.serial, notAfter: new Date(identity.notAfter).toISOString(), uplink: identity.uplinkUrl }, 'enrolled');
  return identity;
}

function hubUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnrollmentError('ENROLL_HUB_URL', `the hub URL ${JSON.stringify(text.slice(0, 200))} is not a URL; give https://host:port of the hub's enrollment port`);
  }
  if (url.protocol !== 'https:') throw new EnrollmentError('ENROLL_HUB_URL', `the hub URL must be https://host:port (enrollment runs over TLS), not ${url.protocol}//`);
  return url;
}

/** Re-enrollment replaces the identity; say what is replaced (an expired or broken one, usually). */
function noteExisting(o: EnrollOptions): void {
  try {
    const current = loadIdentity(o.identityDir);
    if (current !== null) {
      const expired = current.notAfter <= Date.now();
      o.log.info({ deviceId: current.deviceId, serial: current.serial, expired }, `re-enrolling: the current ${expired ? 'expired ' : ''}identity will be replaced once the hub has answered`);
    }
  } catch (err) {
    o.log.warn({ err: (err as Error).message }, 're-enrolling over a broken identity');
  }
}

/** POST the CSR over TLS-PSK; resolves with the hub's answer, or throws an EnrollmentError saying why not. */
function post(url: URL, token: EnrollmentToken, body: string, timeoutMs: number): Promise<EnrollResponse> {
  const where = url.origin;
  return new Promise((resolve, reject) => {
    let handshakeDone = false;
    // https.RequestOptions omits the TLS-PSK fields that https.request passes on to tls.connect.
    const options: RequestOptions & ConnectionOptions = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 443 : Number(url.port),
      method: 'POST',
      path: ENROLL_PATH,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      // A fresh connection: a pooled one could carry another token's handshake.
      agent: false,
      pskCallback: () => ({ psk: token.secret, identity: token.tokenId }),
      ciphers: ENROLL_PSK_CIPHERS,
      minVersion: ENROLL_TLS_VERSION,
      maxVersion: ENROLL_TLS_VERSION,
      // There is no server certificate in a PSK handshake, so there is no name in one to check:
      // the hub is authenticated by the handshake itself (only a holder of the token's secret
      // completes it), and only PSK ciphers are offered, so no certificate can be substituted.
      checkServerIdentity: () => undefined,
      timeout: timeoutMs,
    };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ENROLL_BODY_BYTES) {
          req.destroy(new EnrollmentError('ENROLL_BAD_RESPONSE', `the hub's answer from ${where} is larger than ${MAX_ENROLL_BODY_BYTES} bytes; refused`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => reject(err instanceof EnrollmentError ? err : connectionError(err, where, true)));
      res.on('end', () => {
        try {
          resolve(answer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), where));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('socket', (socket) => socket.once('secureConnect', () => (handshakeDone = true)));
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(err instanceof EnrollmentError ? err : connectionError(err, where, handshakeDone)));
    req.end(body);
  });
}

function answer(status: number, text: string, where: string): EnrollResponse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnrollmentError('ENROLL_BAD_RESPONSE', `the hub at ${where} answered HTTP ${status} with a body that is not JSON`);
  }
  if (status !== 200) {
    const refusal = enrollErrorSchema.safeParse(json);
    const code = refusal.success ? refusal.data.error.code : 'UNKNOWN';
    const message = refusal.success ? printable(refusal.data.error.message) : `HTTP ${status}`;
    switch (code) {
      case 'TOKEN_USED':
        throw new EnrollmentError('ENROLL_TOKEN_USED', `the token was already used (tokens are one-time); ask for a new one (\`sightline fleet token\`). Hub: ${message}`);
      case 'TOKEN_EXPIRED':
        throw new EnrollmentError('ENROLL_TOKEN_EXPIRED', `the token has expired; ask for a new one (\`sightline fleet token\`). Hub: ${message}`);
      case 'TOKEN_UNKNOWN':
        throw new EnrollmentError('ENROLL_TOKEN_UNKNOWN', `the hub does not know this token. Hub: ${message}`);
      default:
        throw new EnrollmentError('ENROLL_REFUSED', `the hub at ${where} refused the enrollment (HTTP ${status}, ${printable(code)}): ${message}`);
    }
  }
  const parsed = enrollResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EnrollmentError('ENROLL_BAD_RESPONSE', `the hub's answer from ${where} is malformed: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Maps a socket or TLS error to what the installer can act on. */
function connectionError(err: Error & { code?: string }, where: string, handshakeDone: boolean): EnrollmentError {
  const code = err.code ?? '';
  const detail = err.message.split('\n')[0];
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].includes(code)) {
    return new EnrollmentError('ENROLL_UNREACHABLE', `cannot reach the hub at ${where} (${code}): check the URL, the network, and that the hub is serving enrollments`);
  }
  if (!handshakeDone && /bad record mac|decrypt/i.test(detail)) {
    return new EnrollmentError('ENROLL_TOKEN_REJECTED', `the hub at ${where} refused the token at the TLS handshake: the secret does not match (mistyped, or a token of another hub)`);
  }
  if (!handshakeDone && /unknown psk identity/i.test(detail)) {
    return new EnrollmentError('ENROLL_TOKEN_REJECTED', `the hub at ${where} refused the token at the TLS handshake: it does not know this token id`);
  }
  if (!handshakeDone) {
    return new EnrollmentError(
      'ENROLL_HANDSHAKE_FAILED',
      `the TLS-PSK handshake with ${where} failed (${code || 'no code'}: ${detail}); is this the hub's enrollment port, and not its uplink port?`,
    );
  }
  return new EnrollmentError('ENROLL_UNREACHABLE', `the connection to the hub at ${where} broke during enrollment (${code || 'no code'}: ${detail}); try again`);
}

/** A hub's message, shown to the installer: one line, bounded, no control characters. */
function printable(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
