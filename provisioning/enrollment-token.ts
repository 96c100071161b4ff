/**
 * The one-time enrollment token, `<tokenId>.<secret>`: tokenId is 16 hex characters (the TLS-PSK
 * identity, not secret), the secret 32 bytes in base64url without padding (the pre-shared key).
 * The fleet tools make tokens (ops/fleet/enrollment-tokens.ts); the device parses the one a
 * technician types or pastes.
 */

export const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;
export const TOKEN_SECRET_BYTES = 32;
/** 32 bytes in base64url without padding are 43 characters. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface EnrollmentToken {
  tokenId: string;
  /** The pre-shared key. */
  secret: Buffer;
}

/** A token that is not `<16 hex>.<43 base64url>`: a typo or a truncated paste, caught before any connection. */
export class TokenFormatError extends Error {
  readonly code = 'ENROLL_TOKEN_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'TokenFormatError';
  }
}

/** Parses a token; surrounding white space (a pasted newline) is ignored. @throws TokenFormatError saying what is wrong. */
export function parseEnrollmentToken(text: string): EnrollmentToken {
  const token = text.trim();
  const expected = 'an enrollment token looks like 0123456789abcdef.<43 characters of base64url>, as `sightline fleet token` prints it';
  const dot = token.indexOf('.');
  if (dot < 0) throw new TokenFormatError(`the enrollment token has no '.': ${expected}`);
  const tokenId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!TOKEN_ID_PATTERN.test(tokenId)) {
    throw new TokenFormatError(`the enrollment token's id (before the '.') must be 16 lower-case hex characters, not ${tokenId.length} characters: ${expected}`);
  }
  if (!SECRET_PATTERN.test(secret)) {
    throw new TokenFormatError(`the enrollment token's secret (after the '.') must be 43 base64url characters, not ${secret.length}${/[^A-Za-z0-9_-]/.test(secret) ? ' including characters outside base64url' : ''}: ${expected}`);
  }
  const bytes = Buffer.from(secret, 'base64url');
  // 43 characters carry 258 bits: the last character's low bits must be zero for a canonical encoding.
  if (bytes.length !== TOKEN_SECRET_BYTES || bytes.toString('base64url') !== secret) {
    throw new TokenFormatError(`the enrollment token's secret is not a canonical base64url encoding of 32 bytes (mistyped last character?): ${expected}`);
  }
  return { tokenId, secret: bytes };
}

export function formatEnrollmentToken(token: EnrollmentToken): string {
  if (!TOKEN_ID_PATTERN.test(token.tokenId)) throw new TokenFormatError(`token id ${JSON.stringify(token.tokenId)} must be 16 lower-case hex characters`);
  if (token.secret.length !== TOKEN_SECRET_BYTES) throw new TokenFormatError(`a token secret is ${TOKEN_SECRET_BYTES} bytes, not ${token.secret.length}`);
  return `${token.tokenId}.${token.secret.toString('base64url')}`;
}
