/**
 * Enrollment over HTTPS with TLS-PSK: one definition for the device (provisioning/enroll.ts) and
 * the hub (ops/hub/enrollment-server.ts).
 *
 * The one-time token is the TLS pre-shared key (identity = tokenId, key = the secret's 32 bytes),
 * so the handshake itself proves to each side that the other holds the token: the device sends
 * its CSR only to a hub that knows the token, and the hub signs only for a device that knows it.
 * No certificate is involved in this handshake, so there is nothing to trust on first use.
 *
 *   POST /v1/enroll  {"csr": PEM}
 *   200 {"deviceId", "certificate", "caCertificate", "uplinkUrl"}
 *   4xx/5xx {"error": {"code", "message"}}
 */
import { z } from 'zod';

export const ENROLL_PATH = '/v1/enroll';
/** PSK with ephemeral ECDH (forward secrecy), AEAD; nothing else is offered or accepted. */
export const ENROLL_PSK_CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305';
/** OpenSSL's PSK in TLS 1.3 works only through session tickets, so enrollment is TLS 1.2 exactly. */
export const ENROLL_TLS_VERSION = 'TLSv1.2';
/** A request body (a CSR is ~1 KB) and a response body (two certificates) are bounded by this. */
export const MAX_ENROLL_BODY_BYTES = 64 * 1024;
const PEM_CHARS = 16 * 1024;

export const enrollRequestSchema = z.strictObject({
  csr: z.string().min(1).max(PEM_CHARS),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.strictObject({
  deviceId: z.string().min(1).max(64),
  certificate: z.string().min(1).max(PEM_CHARS),
  caCertificate: z.string().min(1).max(PEM_CHARS),
  uplinkUrl: z.string().min(1).max(2048),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

/** Why the hub refused an enrollment; the device maps each to a clear message. */
export const ENROLL_ERROR_CODES = [
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'BODY_TOO_LARGE',
  'BAD_JSON',
  'BAD_REQUEST',
  'BAD_CSR',
  'BAD_DEVICE_ID',
  'TOKEN_UNKNOWN',
  'TOKEN_USED',
  'TOKEN_EXPIRED',
  'INTERNAL',
] as const;
export type EnrollErrorCode = (typeof ENROLL_ERROR_CODES)[number];

export const enrollErrorSchema = z.object({
  error: z.object({ code: z.string().max(64), message: z.string().max(2000) }),
});
