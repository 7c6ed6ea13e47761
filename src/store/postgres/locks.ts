import type { Sql } from './client.js';

/**
 * Transaction-scoped advisory locks, named per schema so that stores sharing a database never wait on each other.
 * - `vectors`: writers of memories hold it shared; creating, swapping or dropping a vector generation holds it
 *   exclusively, so a re-embed never misses a write made while it switches tables.
 * - `activity`: held while appending events, so that seq order is commit order (a stream reading "after seq N"
 *   can never see N+1 before N commits).
 * - `scope:…`: one per namespace and user, held by deduplicating writes, so two processes cannot both decide a
 *   memory is new.
 */
export type LockName = 'vectors' | 'activity' | `scope:${string}`;

const key = 'hashtextextended(current_schema() || chr(31) || $1, 0)';

export async function lockExclusive(sql: Sql, name: LockName): Promise<void> {
  await sql.run(`SELECT pg_advisory_xact_lock(${key})`, [name]);
}

export async function lockShared(sql: Sql, name: LockName): Promise<void> {
  await sql.run(`SELECT pg_advisory_xact_lock_shared(${key})`, [name]);
}

/** Several exclusive locks, always taken in the same (sorted) order so that two writers cannot deadlock. */
export async function lockAll(sql: Sql, names: LockName[]): Promise<void> {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return;
  await sql.run(
    `SELECT count(pg_advisory_xact_lock(hashtextextended(current_schema() || chr(31) || n, 0)))
     FROM (SELECT n FROM unnest($1::text[]) AS n ORDER BY n COLLATE "C") AS sorted`,
    [sorted],
  );
}
