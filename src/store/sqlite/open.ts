import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

export type Db = Database.Database;
export type Statement = Database.Statement;

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export const isInMemoryPath = (path: string) => path === ':memory:' || path === '';

/**
 * Opens a connection set up for several processes sharing one file: WAL lets readers run beside the single writer,
 * and the busy timeout makes a writer wait for the lock instead of failing at once.
 */
export function openDatabase(path: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): Db {
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
