import type { Sql } from './client.js';

/** Key/value facts about the store: embedding model, live and pending vector generations. */
export const meta = {
  async all(sql: Sql, keys: string[]): Promise<Map<string, string>> {
    const rows = await sql.rows<{ key: string; value: string }>(
      'SELECT key, value FROM meta WHERE key = ANY($1::text[])',
      [keys],
    );
    return new Map(rows.map((r) => [r.key, r.value]));
  },

  async set(sql: Sql, entries: Record<string, string | number | null>): Promise<void> {
    for (const [key, value] of Object.entries(entries)) {
      if (value === null) await sql.run('DELETE FROM meta WHERE key = $1', [key]);
      else
        await sql.run(
          'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
          [key, String(value)],
        );
    }
  },
};
