/**
 * Signed hotlist snapshots. Central signs the snapshot's JSON text, byte for byte as sent, with
 * the fleet CA's private key (RSA PKCS#1 v1.5 over SHA-256, base64); the device checks it against
 * its pinned central CA certificate (DATA/identity/central-ca.pem) before parsing anything, so a
 * list altered on the way or signed by another key never reaches the matcher.
 */
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';

/** A base64 RSA signature: canonical alphabet and padding, at most a 16,384-bit key's worth. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4}){1,683}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The base64 signature of `text` (UTF-8) made with `caKeyPem` (PEM, PKCS#8 or PKCS#1). Used by the hub and tests. */
export function signSnapshot(text: string, caKeyPem: string): string {
  return sign('sha256', Buffer.from(text, 'utf8'), createPrivateKey(caKeyPem)).toString('base64');
}

/**
 * True when `signatureB64` is a signature of `text` by the key of `caCertPem`. Any malformed
 * signature is simply false; a CA certificate that does not parse throws, as that is the
 * device's fault, not the snapshot's.
 */
export function verifySnapshot(text: string, signatureB64: string, caCertPem: string): boolean {
  const key = new X509Certificate(caCertPem).publicKey;
  // Buffer.from(…, 'base64') skips characters it does not know: check the text first.
  if (!BASE64.test(signatureB64)) return false;
  try {
    return verify('sha256', Buffer.from(text, 'utf8'), key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
