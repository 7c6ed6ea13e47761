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

/** Rows the write version is spread over, one picked by the writing connection, so writers never queue on one. */
const WRITE_VERSION_SLOTS = 16;

/**
 * Bumps the memories' write version (MemoryStore.writeVersion) inside the caller's write transaction, so that it
 * changes exactly when the write commits. A slot starts from the clock in microseconds: a schema created again
 * never repeats a version an open process may still hold.
 */
export async function bumpWriteVersion(sql: Sql): Promise<void> {
  await sql.run(
    `INSERT INTO meta (key, value) VALUES ('write_version:' || (pg_backend_pid() % ${WRITE_VERSION_SLOTS}), $1)
     ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`,
    [String(Date.now() * 1000)],
  );
}

/** Every slot of the write version, in one string: it changes whenever any slot does. */
export async function readWriteVersion(sql: Sql): Promise<string> {
  const row = await sql.one<{ v: string | null }>(
    "SELECT string_agg(key || '=' || value, ',' ORDER BY key) AS v FROM meta WHERE key LIKE 'write\\_version:%'",
  );
  return row?.v ?? '0';
}
