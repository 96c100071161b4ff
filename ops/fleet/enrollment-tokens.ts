/**
 * One-time enrollment tokens, kept in FLEETDIR/enrollment-tokens.sqlite (0600).
 *
 * A token's secret is not stored: it is HMAC-SHA256(token key, tokenId), the token key being 32
 * random bytes made once per fleet and kept in the same file. That lets the hub's TLS-PSK
 * callback, which Node calls synchronously mid-handshake, answer for any token id without a
 * database read (so a token made a moment ago by `sightline fleet token` in another process works
 * at once, with no cache to go stale). The handshake then proves that the device holds a secret
 * only this fleet could have made; whether that token is still usable (exists, unused, unexpired)
 * is decided after the handshake, and consuming it is one atomic UPDATE.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { type Database, OPEN_CREATE, OPEN_READWRITE } from 'sqlite3';
import { createPrivateFile } from '../../firmware/store/private-file';
import { all, closeDatabase, exec, get, openDatabase, run } from '../../firmware/store/sqlite-async';
import { formatEnrollmentToken, TOKEN_ID_PATTERN } from '../../provisioning/enrollment-token';

export const TOKENS_FILE = 'enrollment-tokens.sqlite';
export const DEFAULT_TOKEN_TTL_MS = 24 * 3_600_000;
/** A token is for an installation about to happen; a month is already generous. */
export const MAX_TOKEN_TTL_MS = 30 * 24 * 3_600_000;
const MAX_NOTE_CHARS = 500;
const DERIVATION_LABEL = 'sightline enrollment token v1\0';

export type TokenState = 'usable' | 'used' | 'expired' | 'unknown';

export interface TokenRecord {
  tokenId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  note: string | null;
  state: Exclude<TokenState, 'unknown'>;
}

export interface NewToken {
  /** `<tokenId>.<secret>`: give it to the installer; it is not stored. */
  token: string;
  tokenId: string;
  expiresAt: number;
}

interface TokenRow {
  token_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  note: string | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS token_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    note TEXT
  );
`;

export class EnrollmentTokens {
  private constructor(
    private readonly db: Database,
    private readonly tokenKey: Buffer,
    readonly file: string,
  ) {}

  /** Opens (or creates, 0600 in a 0700 directory) the token database of this fleet directory. */
  static async open(fleetDir: string): Promise<EnrollmentTokens> {
    const file = path.join(fleetDir, TOKENS_FILE);
    try {
      createPrivateFile(fleetDir, file);
    } catch (err) {
      throw new Error(`cannot create the enrollment token database: ${(err as Error).message}`);
    }
    let db: Database;
    try {
      db = await openDatabase(file, OPEN_READWRITE | OPEN_CREATE);
    } catch (err) {
      throw new Error(`cannot open the enrollment token database ${file}: ${(err as Error).message}`);
    }
    try {
      // The hub and `sightline fleet token` use the file at the same time: wait for each other's writes.
      db.configure('busyTimeout', 5000);
      await exec(db, 'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
      await exec(db, SCHEMA);
      await run(db, 'INSERT OR IGNORE INTO token_key (id, key) VALUES (1, ?)', [randomBytes(32)]);
      const row = await get<{ key: Buffer }>(db, 'SELECT key FROM token_key WHERE id = 1');
      if (!row || !Buffer.isBuffer(row.key) || row.key.length !== 32) throw new Error('its token key is missing or not 32 bytes');
      return new EnrollmentTokens(db, row.key, file);
    } catch (err) {
      await closeDatabase(db).catch(() => undefined);
      throw new Error(`the enrollment token database ${file} is unusable: ${(err as Error).message}`);
    }
  }

  /** A new one-time token valid for `ttlMs`. */
  async create(options: { ttlMs: number; note?: string }): Promise<NewToken> {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0 || options.ttlMs > MAX_TOKEN_TTL_MS) {
      throw new Error(`a token's lifetime must be more than 0 and at most ${MAX_TOKEN_TTL_MS / 3_600_000} hours, not ${options.ttlMs / 3_600_000} hours`);
    }
    if (options.note !== undefined && options.note.length > MAX_NOTE_CHARS) throw new Error(`a token's note must be at most ${MAX_NOTE_CHARS} characters`);
    const tokenId = randomBytes(8).toString('hex');
    const now = Date.now();
    const expiresAt = now + Math.round(options.ttlMs);
    await run(this.db, 'INSERT INTO tokens (token_id, created_at, expires_at, used_at, note) VALUES (?, ?, ?, NULL, ?)', [tokenId, now, expiresAt, options.note ?? null]);
    // The id is made here, always well-formed.
    const secret = this.handshakeKey(tokenId) as Buffer;
    return { token: formatEnrollmentToken({ tokenId, secret }), tokenId, expiresAt };
  }

  /**
   * The pre-shared key for a TLS handshake naming `tokenId`, synchronously: derived, so it is
   * returned for any well-formed id (null otherwise); use state() or consume() for the rest.
   */
  handshakeKey(tokenId: string): Buffer | null {
    if (!TOKEN_ID_PATTERN.test(tokenId)) return null;
    return createHmac('sha256', this.tokenKey).update(DERIVATION_LABEL).update(tokenId).digest();
  }

  /** The pre-shared key of a token that exists, is unused and unexpired; null otherwise. */
  async pskFor(tokenId: string): Promise<Buffer | null> {
    return (await this.state(tokenId)) === 'usable' ? this.handshakeKey(tokenId) : null;
  }

  async state(tokenId: string, now = Date.now()): Promise<TokenState> {
    if (!TOKEN_ID_PATTERN.test(tokenId)) return 'unknown';
    const row = await get<TokenRow>(this.db, 'SELECT * FROM tokens WHERE token_id = ?', [tokenId]);
    return row === undefined ? 'unknown' : stateOf(row, now);
  }

  /** Marks the token used if it is usable, atomically: of two concurrent calls, one gets true. */
  async consume(tokenId: string): Promise<boolean> {
    const now = Date.now();
    const { changes } = await run(this.db, 'UPDATE tokens SET used_at = ? WHERE token_id = ? AND used_at IS NULL AND expires_at > ?', [now, tokenId, now]);
    return changes === 1;
  }

  /**
   * Makes a consumed token usable again: only for the hub when it failed to issue the
   * certificate after consuming (nothing left the hub), so the installer can retry.
   */
  async restore(tokenId: string): Promise<void> {
    await run(this.db, 'UPDATE tokens SET used_at = NULL WHERE token_id = ?', [tokenId]);
  }

  /** Every token, newest first; secrets are not listed (they are not stored). */
  async list(now = Date.now()): Promise<TokenRecord[]> {
    const rows = await all<TokenRow>(this.db, 'SELECT * FROM tokens ORDER BY created_at DESC, token_id');
    return rows.map((r) => ({ tokenId: r.token_id, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at, note: r.note, state: stateOf(r, now) }));
  }

  close(): Promise<void> {
    return closeDatabase(this.db);
  }
}

function stateOf(row: TokenRow, now: number): Exclude<TokenState, 'unknown'> {
  if (row.used_at !== null) return 'used';
  return row.expires_at <= now ? 'expired' : 'usable';
}

