import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { DIM, mem, T0 } from './records.js';

let dir: string;
let store: SqliteStore;
let other: Database.Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'am-access-writes-'));
  const path = join(dir, 'memory.db');
  // A long busy timeout: were the access write to wait for the lock, the test would hang rather than pass.
  store = await openSqliteStore({ path, dimension: DIM, searchThread: false, busyTimeoutMs: 600_000 });
  await store.putMemories([mem({ id: 'a' }), mem({ id: 'b' })], { deduplicate: false });
  // Another process, as far as SQLite can tell.
  other = new Database(path);
});

afterEach(async () => {
  if (other.inTransaction) other.exec('ROLLBACK');
  other.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const accesses = (id: string) =>
  other.prepare('SELECT access_count AS n, last_accessed AS at FROM memories WHERE id = ?').get(id) as {
    n: number;
    at: number;
  };

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out');
}

describe('SQLite search accesses while another process writes', () => {
  it('are written at once when the lock is free', async () => {
    await store.recordAccess(['a'], T0 + 1000);
    expect(accesses('a')).toEqual({ n: 1, at: T0 + 1000 });
  });

  it('wait without blocking while another connection holds the write lock, then land, every one counted', async () => {
    other.exec('BEGIN IMMEDIATE');
    await store.recordAccess(['a'], T0 + 1000);
    await store.recordAccess(['a', 'b'], T0 + 2000);
    // Still locked out: nothing written, and this process went on.
    expect(accesses('a').n).toBe(0);
    other.exec('COMMIT');
    const a = await until(() => (accesses('a').n > 0 ? accesses('a') : undefined));
    expect(a).toEqual({ n: 2, at: T0 + 2000 });
    expect(accesses('b')).toEqual({ n: 1, at: T0 + 2000 });
  });

  it('still waiting when the store closes are written then', async () => {
    other.exec('BEGIN IMMEDIATE');
    await store.recordAccess(['b'], T0 + 3000);
    other.exec('COMMIT');
    await store.close();
    expect(accesses('b')).toEqual({ n: 1, at: T0 + 3000 });
    store = await openSqliteStore({ path: join(dir, 'memory.db'), dimension: DIM, searchThread: false });
  });
});
