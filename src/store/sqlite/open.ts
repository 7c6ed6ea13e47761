import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MemoryError } from '../../errors.js';

export type Db = Database.Database;
export type Statement = Database.Statement;

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export const isInMemoryPath = (path: string) => path === ':memory:' || path === '';

/** A database opened read-only: why, and the folder of the snapshot copy it was opened from, if any. */
export interface ReadOnlyOpen {
  reason: string;
  copyDir: string | null;
  /** The file the connection reads (the copy when there is one). */
  path: string;
}

export interface OpenedDatabase {
  db: Db;
  readOnly: ReadOnlyOpen | null;
}

/**
 * Opens a connection set up for several processes sharing one file: WAL lets readers run beside the single writer,
 * and the busy timeout makes a writer wait for the lock instead of failing at once. A database that exists but
 * cannot be written (read-only media, a file or folder without write permission) is opened read-only, so that it
 * can still be searched and exported; every write then answers that the store is read-only.
 */
export function openDatabase(path: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): OpenedDatabase {
  try {
    // SQLite opens a write-protected file read-only without a word, and fails only at the first write.
    if (isFile(path)) accessSync(path, constants.W_OK);
    return { db: openNow(path, busyTimeoutMs), readOnly: null };
  } catch (err) {
    const readOnly = isWriteRefusal(err) && isFile(path) ? openReadOnly(path, busyTimeoutMs, err) : null;
    if (readOnly) return readOnly;
    throw explainOpenError(path, err);
  }
}

const WRITE_REFUSALS = new Set(['EACCES', 'EROFS', 'EPERM']);

/** True for SQLite's and the file system's ways of saying that this process may not write there. */
export function isWriteRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || WRITE_REFUSALS.has(code));
}

function isFile(path: string): boolean {
  try {
    return !isInMemoryPath(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A WAL database can be read in place only where SQLite may create its -shm file; on read-only media it is read
 * from a snapshot copy (with its -wal file) in the temporary folder, which is removed on close.
 */
function openReadOnly(path: string, busyTimeoutMs: number, cause: unknown): OpenedDatabase | null {
  const reason = cause instanceof Error ? cause.message : String(cause);
  try {
    return { db: readOnlyConnection(path, busyTimeoutMs), readOnly: { reason, copyDir: null, path } };
  } catch {
    // Not readable in place: try a copy.
  }
  let copyDir: string | null = null;
  try {
    copyDir = mkdtempSync(join(tmpdir(), 'agent-memory-readonly-'));
    const copy = join(copyDir, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    return { db: readOnlyConnection(copy, busyTimeoutMs), readOnly: { reason, copyDir, path: copy } };
  } catch {
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
    return null;
  }
}

function readOnlyConnection(path: string, busyTimeoutMs: number): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: Math.max(0, busyTimeoutMs) });
  try {
    // The first read is where SQLite finds out whether it can use the file (and its WAL) at all.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('foreign_keys = ON');
    sqliteVec.load(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The first mistakes of a new user (a folder, a file that is not a database, no permission) said plainly. */
function explainOpenError(path: string, err: unknown): unknown {
  const code = (err as { code?: string }).code;
  const cause = err instanceof Error ? err.message : String(err);
  const where = `The database SQLITE_PATH=${path}`;
  const say = (what: string) => new MemoryError('unavailable', `${where} ${what} (${cause}).`);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // Missing: the folder part is what failed.
  }
  if (isDir) return say(`is a folder: point SQLITE_PATH at a file, e.g. ${join(path, 'memory.db')}`);
  if (code === 'SQLITE_NOTADB')
    return say('is not a SQLite database (or is damaged): point SQLITE_PATH at another file');
  if (isWriteRefusal(err)) {
    return say('cannot be written: give this user write access to it and its folder, or choose another SQLITE_PATH');
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'ENOTDIR' || code === 'ENOENT') {
    return say('cannot be opened: check that its folder exists or can be created, and is writable');
  }
  return err;
}

function openNow(path: string, busyTimeoutMs: number): Db {
  if (!isInMemoryPath(path)) mkdirSync(dirname(resolve(path)), { recursive: true });
  // `timeout` is better-sqlite3's busy_timeout; it is set before the first statement so WAL setup waits too.
  const db = new Database(path, { timeout: Math.max(0, Math.floor(busyTimeoutMs)) });
  try {
    enableWal(db, busyTimeoutMs);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Deleted content is overwritten, not left in free pages: erasing a user must leave no trace of their words.
    db.pragma('secure_delete = ON');
    sqliteVec.load(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Switching a new file to WAL upgrades a read lock to a write lock inside one statement, and SQLite refuses that
 * upgrade at once (SQLITE_BUSY, no busy wait) when another process is switching the same file at the same moment,
 * as when several servers start together. Retry until the busy timeout; once one process has switched, it is a no-op.
 */
function enableWal(db: Db, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.random() * 20);
    }
  }
}
