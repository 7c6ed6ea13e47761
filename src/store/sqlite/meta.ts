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
