/**
 * The device's key-encryption key (KEK): it wraps the store's data keys and nothing else, so the
 * data keys never rest on disk in clear. A file-backed KEK is the default; a TPM-backed one can
 * implement the same interface later without the store changing.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import { makePrivate } from './private-file';
import { StoreError } from './store-error';

export interface KeyEncryptionKey {
  /** Where the key lives, for errors and logs (a path, a TPM handle); never the key itself. */
  readonly location: string;
  /** Seals a data key; `context` (its kind, class and epoch) is bound in as associated data. */
  wrap(dataKey: Buffer, context: string): Buffer;
  /** @throws Error when the wrapped bytes were damaged, belong to another context, or another KEK sealed them. */
  unwrap(wrapped: Buffer, context: string): Buffer;
  /**
   * A fixed value derived from the key that reveals nothing about it. The store keeps it, so a
   * different KEK is recognised at open before anything is written.
   */
  checkValue(): Buffer;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
const CHECK_LABEL = 'sightline store key-encryption-key check v1';

/** AES-256-GCM key wrapping under a 32-byte key kept in a 0600 file. */
export class FileKeyEncryptionKey implements KeyEncryptionKey {
  private constructor(
    readonly location: string,
    // A KeyObject, not a Buffer: util.inspect and JSON.stringify show no key bytes.
    private readonly key: KeyObject,
  ) {}

  /**
   * Loads the key file, or creates it (0600, random) when `create` allows and it is absent.
   * @throws StoreError STORE_KEY_FAILED naming the file: missing, wrong size, unreadable.
   */
  static load(file: string, opts: { create: boolean; log: Logger }): FileKeyEncryptionKey {
    const abs = path.resolve(file);
    let fd: number;
    try {
      fd = openSync(abs, fsc.O_RDONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw keyError(abs, `cannot open it: ${(err as Error).message}`, err);
      if (!opts.create) {
        throw keyError(abs, 'it is missing, and the store holds data keys sealed under it; restore the key file from the device backup (without it the stored reads cannot be opened)');
      }
      return FileKeyEncryptionKey.create(abs, opts.log);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw keyError(abs, 'it is not a regular file');
      const was = makePrivate(fd);
      if (was !== null) opts.log.warn({ file: abs, mode: was }, 'key-encryption key file was readable by others; made it 0600');
      if (stat.size !== KEY_BYTES) throw keyError(abs, `it is ${stat.size} bytes, not ${KEY_BYTES}: not a Sightline key file, or damaged`);
      const bytes = Buffer.alloc(KEY_BYTES);
      if (readSync(fd, bytes, 0, KEY_BYTES, 0) !== KEY_BYTES) throw keyError(abs, 'it could not be read whole');
      const key = createSecretKey(bytes);
      bytes.fill(0);
      return new FileKeyEncryptionKey(abs, key);
    } finally {
      closeSync(fd);
    }
  }

  private static create(file: string, log: Logger): FileKeyEncryptionKey {
    const bytes = randomBytes(KEY_BYTES);
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // O_EXCL: two processes starting at once never both write a key.
      const fd = openSync(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const dirFd = openSync(path.dirname(file), 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return FileKeyEncryptionKey.load(file, { create: false, log });
      throw keyError(file, `cannot create it: ${(err as Error).message}`, err);
    }
    const key = createSecretKey(bytes);
    bytes.fill(0);
    log.info({ file }, 'created a new key-encryption key');
    return new FileKeyEncryptionKey(file, key);
  }

  wrap(dataKey: Buffer, context: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  }

  unwrap(wrapped: Buffer, context: string): Buffer {
    if (wrapped.length !== WRAPPED_KEY_BYTES) throw new Error(`wrapped key is ${wrapped.length} bytes, not ${WRAPPED_KEY_BYTES}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(wrapped.subarray(NONCE_BYTES + KEY_BYTES));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(NONCE_BYTES, NONCE_BYTES + KEY_BYTES)), decipher.final()]);
    } catch {
      // Node's message ("Unsupported state or unable to authenticate data") says nothing useful.
      throw new Error('wrapped key fails authentication (damaged, moved to another key slot, or sealed by another key-encryption key)');
    }
  }

  checkValue(): Buffer {
    return createHmac('sha256', this.key).update(CHECK_LABEL).digest();
  }
}

function keyError(file: string, why: string, cause?: unknown): StoreError {
  return new StoreError('STORE_KEY_FAILED', `key-encryption key ${file}: ${why}`, { file, cause });
}
