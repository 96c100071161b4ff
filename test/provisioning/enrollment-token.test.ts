import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { formatEnrollmentToken, parseEnrollmentToken, TokenFormatError } from '../../provisioning/enrollment-token';

describe('enrollment token format', () => {
  it('formats and parses <16 hex>.<32 bytes base64url>, ignoring surrounding white space', () => {
    const secret = randomBytes(32);
    const token = formatEnrollmentToken({ tokenId: '00ff00ff00ff00ff', secret });
    assert.match(token, /^00ff00ff00ff00ff\.[A-Za-z0-9_-]{43}$/);
    const parsed = parseEnrollmentToken(` ${token}\n`);
    assert.equal(parsed.tokenId, '00ff00ff00ff00ff');
    assert.ok(parsed.secret.equals(secret));
  });

  it('says what is wrong with a malformed token', () => {
    const secret = randomBytes(32).toString('base64url');
    const cases: [string, RegExp][] = [
      ['', /has no '\.'/],
      [`00ff00ff00ff00f.${secret}`, /16 lower-case hex characters, not 15/],
      [`00FF00FF00FF00FF.${secret}`, /16 lower-case hex/],
      ['00ff00ff00ff00ff.', /43 base64url characters, not 0/],
      [`00ff00ff00ff00ff.${secret}A`, /not 44/],
      [`00ff00ff00ff00ff.${secret.slice(0, 42)}=`, /outside base64url/],
      // 43 characters carry 258 bits: a last character with low bits set is not a canonical encoding.
      [`00ff00ff00ff00ff.${secret.slice(0, 42)}${secret.endsWith('B') ? 'C' : 'B'}`, /not a canonical base64url/],
    ];
    for (const [token, message] of cases) {
      assert.throws(() => parseEnrollmentToken(token), (err: unknown) => err instanceof TokenFormatError && err.code === 'ENROLL_TOKEN_FORMAT' && message.test(err.message), token);
    }
  });

  it('refuses to format a bad id or secret', () => {
    assert.throws(() => formatEnrollmentToken({ tokenId: 'xyz', secret: randomBytes(32) }), TokenFormatError);
    assert.throws(() => formatEnrollmentToken({ tokenId: '00ff00ff00ff00ff', secret: randomBytes(16) }), /32 bytes, not 16/);
  });
});
