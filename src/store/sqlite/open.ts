import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MemoryError } from '../../errors.js';

export type Db = Database.Database;
export type Statement = Database.Statement;

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export const isInMemoryPath = (path: string) => path === ':memory:' || path === '';

/**
 * Opens a connection set up for several processes sharing one file: WAL lets readers run beside the single writer,
 * and the busy timeout makes a writer wait for the lock instead of failing at once.
 */
export function openDatabase(path: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): Db {
  try {
    return openNow(path, busyTimeoutMs);
  } catch (err) {
    throw explainOpenError(path, err);
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
  if (code === 'SQLITE_READONLY' || code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
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
