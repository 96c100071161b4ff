/** A temporary data directory, a movable clock and store opening/closing for store tests. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OPEN_READWRITE, type Database } from 'sqlite3';
import { closeDatabase, openDatabase } from '../../../firmware/store/sqlite-async';
import { READS_FILE, SqliteReadStore, type SqliteReadStoreOptions } from '../../../firmware/store/sqlite-read-store';
import { StoreError, type StoreErrorCode } from '../../../firmware/store/store-error';

/** Fixture reads are seen from this time on (fixtureRead(i) at FIXTURE_T0 + i s). */
export const FIXTURE_T0 = 1_700_000_000_000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface StoreHarness {
  readonly dir: string;
  readonly dataDir: string;
  readonly file: string;
  /** The stores' clock; starts an hour after FIXTURE_T0. */
  clock: number;
  open(opts?: SqliteReadStoreOptions): Promise<SqliteReadStore>;
}

export function useStoreHarness(): StoreHarness {
  const opened: SqliteReadStore[] = [];
  const harness = {
    dir: '',
    dataDir: '',
    file: '',
    clock: 0,
    async open(opts: SqliteReadStoreOptions = {}): Promise<SqliteReadStore> {
      const store = await SqliteReadStore.open(harness.dataDir, { now: () => harness.clock, ...opts });
      opened.push(store);
      return store;
    },
  };
  beforeEach(() => {
    harness.dir = mkdtempSync(path.join(tmpdir(), 'sightline-store-'));
    harness.dataDir = path.join(harness.dir, 'data');
    harness.file = path.join(harness.dataDir, READS_FILE);
    harness.clock = FIXTURE_T0 + 3_600_000;
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(harness.dir, { recursive: true, force: true });
  });
  return harness;
}

export async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode, ...mentions: string[]): Promise<StoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const text of mentions) assert.ok(caught.message.includes(text), `"${caught.message}" should mention "${text}"`);
  return caught;
}

/** Runs `fn` on a second, raw connection to the store's file, the way an outside tool would. */
export async function withRawDb<T>(file: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(file, OPEN_READWRITE);
  try {
    return await fn(db);
  } finally {
    await closeDatabase(db);
  }
}

/** Every file under `dir`, recursively, as one byte string. */
export function everyByte(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    parts.push(statSync(file).isDirectory() ? everyByte(file) : readFileSync(file));
  }
  return Buffer.concat(parts);
}

/** The plate in every form the store or its libraries could write it. */
export function encodings(plate: string): Buffer[] {
  const utf16be = Buffer.from(plate, 'utf16le').swap16();
  return [
    Buffer.from(plate, 'utf8'),
    Buffer.from(plate.toLowerCase(), 'utf8'),
    Buffer.from(plate, 'utf16le'),
    utf16be,
    Buffer.from(JSON.stringify({ plate })),
    Buffer.from(Buffer.from(plate).toString('hex')),
    Buffer.from(Buffer.from(plate).toString('hex').toUpperCase()),
    Buffer.from(Buffer.from(plate).toString('base64').slice(0, 8)),
    // Base64 of the plate at each of the three alignments it could fall on inside a longer text.
    ...[0, 1, 2].map((shift) => Buffer.from(Buffer.concat([Buffer.alloc(shift), Buffer.from(plate)]).toString('base64').slice(4, 12))),
  ];
}
