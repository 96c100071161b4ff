import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { EnrollmentTokens, TOKENS_FILE } from '../../../ops/fleet/enrollment-tokens';
import { parseEnrollmentToken } from '../../../provisioning/enrollment-token';
import { useTempDir } from '../../support/temp-dir';

describe('EnrollmentTokens (real SQLite)', () => {
  const tmp = useTempDir();
  let tokens: EnrollmentTokens;
  let dir = '';

  beforeEach(async () => {
    dir = path.join(tmp(), 'hub');
    tokens = await EnrollmentTokens.open(dir);
  });
  afterEach(() => tokens.close());

  it('creates the database 0600 in a 0700 directory', () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, TOKENS_FILE)).mode & 0o777, 0o600);
  });

  it('makes tokens in the documented format whose secret is the handshake key', async () => {
    const made = await tokens.create({ ttlMs: 3_600_000, note: 'pole 7' });
    assert.match(made.token, /^[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    const parsed = parseEnrollmentToken(made.token);
    assert.equal(parsed.tokenId, made.tokenId);
    assert.ok(parsed.secret.equals(tokens.handshakeKey(made.tokenId)!));
    assert.ok(parsed.secret.equals((await tokens.pskFor(made.tokenId))!));
    assert.ok(Math.abs(made.expiresAt - (Date.now() + 3_600_000)) < 5000);
    const other = await tokens.create({ ttlMs: 3_600_000 });
    assert.notEqual(other.tokenId, made.tokenId);
    assert.ok(!parseEnrollmentToken(other.token).secret.equals(parsed.secret));
  });

  it('consumes a token once, atomically, among concurrent attempts', async () => {
    const { tokenId } = await tokens.create({ ttlMs: 3_600_000 });
    const results = await Promise.all(Array.from({ length: 8 }, () => tokens.consume(tokenId)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await tokens.state(tokenId), 'used');
    assert.equal(await tokens.pskFor(tokenId), null);
  });

  it('two connections to the same file (hub and CLI) agree: same key, one use', async () => {
    const cli = await EnrollmentTokens.open(dir);
    try {
      const made = await cli.create({ ttlMs: 3_600_000 });
      assert.ok(tokens.handshakeKey(made.tokenId)!.equals(parseEnrollmentToken(made.token).secret));
      const [a, b] = await Promise.all([tokens.consume(made.tokenId), cli.consume(made.tokenId)]);
      assert.equal(Number(a) + Number(b), 1);
    } finally {
      await cli.close();
    }
  });

  it('an expired token cannot be consumed; states and list say why', async () => {
    const expired = await tokens.create({ ttlMs: 1 });
    const used = await tokens.create({ ttlMs: 3_600_000, note: 'used one' });
    const fresh = await tokens.create({ ttlMs: 3_600_000 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await tokens.consume(expired.tokenId), false);
    assert.equal(await tokens.consume(used.tokenId), true);
    assert.equal(await tokens.state(expired.tokenId), 'expired');
    assert.equal(await tokens.state(used.tokenId), 'used');
    assert.equal(await tokens.state(fresh.tokenId), 'usable');
    assert.equal(await tokens.state('0123456789abcdef'), 'unknown');
    assert.equal(await tokens.state("x' OR 1=1 --"), 'unknown');
    const listed = await tokens.list();
    assert.deepEqual(listed.map((t) => t.state).sort(), ['expired', 'usable', 'used']);
    assert.equal(listed.find((t) => t.tokenId === used.tokenId)?.note, 'used one');
    assert.ok(!JSON.stringify(listed).includes(parseEnrollmentToken(fresh.token).secret.toString('base64url')), 'no secrets listed');
  });

  it('restore makes a consumed token usable again', async () => {
    const { tokenId } = await tokens.create({ ttlMs: 3_600_000 });
    assert.equal(await tokens.consume(tokenId), true);
    await tokens.restore(tokenId);
    assert.equal(await tokens.state(tokenId), 'usable');
  });

  it('refuses an unreasonable lifetime or note, and a malformed id has no key', async () => {
    await assert.rejects(tokens.create({ ttlMs: 0 }), /more than 0/);
    await assert.rejects(tokens.create({ ttlMs: 31 * 86_400_000 }), /at most 720 hours/);
    await assert.rejects(tokens.create({ ttlMs: 1000, note: 'x'.repeat(501) }), /at most 500 characters/);
    assert.equal(tokens.handshakeKey('nothex'), null);
  });
});
