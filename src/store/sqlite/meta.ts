import type { StatementCache } from './statements.js';

/** Key/value facts about the database: schema version, embedding model, current vector tables. */
export class Meta {
  constructor(private readonly stmts: StatementCache) {}

  get(key: string): string | undefined {
    const row = this.stmts.get('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  getInt(key: string): number | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : Number(v);
  }

  set(key: string, value: string | number): void {
    this.stmts
      .get('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, String(value));
  }

  delete(key: string): void {
    this.stmts.get('DELETE FROM meta WHERE key = ?').run(key);
  }
}

/**
 * Bumps the memories' write version (MemoryStore.writeVersion), inside the caller's write transaction so that
 * every connection sees it change exactly when the write commits. The first value is the clock in microseconds:
 * a database created again never repeats a version an open process may still hold.
 */
export function bumpWriteVersion(stmts: StatementCache): void {
  stmts
    .get(
      "INSERT INTO meta (key, value) VALUES ('write_version', ?) ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )
    .run(String(Date.now() * 1000));
}
