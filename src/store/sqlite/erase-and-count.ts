import { statSync } from 'node:fs';
import { contentHash } from '../../util/content-hash.js';
import type { EraseCounts, StoreCounts } from '../port.js';
import type { MemoryRepo } from './memories.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

/**
 * Deletes one user's rows in one transaction, then rewrites what would still hold their words: the full-text index
 * keeps deleted terms in its segments until they are merged ('optimize'), and the write-ahead log keeps old page
 * images until a checkpoint truncates it. Freed pages are zeroed because every connection runs with secure_delete.
 */
export function eraseUser(
  db: Db,
  stmts: StatementCache,
  memories: MemoryRepo,
  userId: string,
  namespace: string | undefined,
): EraseCounts & { hashes: string[] } {
  // `@ns IS NULL OR namespace = @ns`: every namespace, or only the one given.
  const owned = 'user_id = @user AND (@ns IS NULL OR namespace = @ns)';
  const p = { user: userId, ns: namespace ?? null };
  const counts = db
    .transaction((): EraseCounts & { hashes: string[] } => {
      const rows = stmts.get(`SELECT id, text FROM memories WHERE ${owned}`).all(p) as { id: string; text: string }[];
      const ids = rows.map((r) => r.id);
      const hashes = [...new Set(rows.map((r) => contentHash(r.text)))];
      return {
        hashes,
        memories: memories.deleteInTransaction(ids),
        // Messages, archived ones included, go with their session (ON DELETE CASCADE).
        sessions: stmts.get(`DELETE FROM sessions WHERE ${owned}`).run(p).changes,
        activity_events: stmts.get(`DELETE FROM activity WHERE ${owned}`).run(p).changes,
        tasks: stmts
          .get(
            "DELETE FROM tasks WHERE json_extract(payload, '$.user_id') = @user AND (@ns IS NULL OR json_extract(payload, '$.namespace') = @ns)",
          )
          .run(p).changes,
        cached_embeddings: stmts
          .get('DELETE FROM embedding_cache WHERE hash IN (SELECT value FROM json_each(?))')
          .run(JSON.stringify(hashes)).changes,
      };
    })
    .immediate();
  db.exec("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')");
  if (db.pragma('journal_mode', { simple: true }) === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
  return counts;
}

type Grouped = { key: string | null; n: number }[];

const toRecord = (rows: Grouped, nullKey: string) =>
  Object.fromEntries(rows.map((r) => [r.key ?? nullKey, r.n])) as Record<string, number>;

/** Statistics over the memories and sessions of a namespace and/or user (all when neither is given). */
export function countStore(
  db: Db,
  stmts: StatementCache,
  path: string | null,
  scope: { namespace?: string; user_id?: string },
): StoreCounts {
  const where: string[] = [];
  const params: string[] = [];
  if (scope.namespace !== undefined) {
    where.push('namespace = ?');
    params.push(scope.namespace);
  }
  if (scope.user_id !== undefined) {
    where.push('user_id = ?');
    params.push(scope.user_id);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const group = (column: string) =>
    stmts.get(`SELECT ${column} AS key, count(*) AS n FROM memories ${w} GROUP BY ${column}`).all(...params) as Grouped;
  const totals = stmts
    .get(
      `SELECT count(*) AS n, sum(pinned) AS pinned, min(created_at) AS oldest, max(created_at) AS newest FROM memories ${w}`,
    )
    .get(...params) as { n: number; pinned: number | null; oldest: number | null; newest: number | null };
  const now = Date.now();
  const live = `${w ? `${w} AND` : 'WHERE'} (expires_at IS NULL OR expires_at > ?)`;
  const sessions = stmts
    .get(
      `SELECT count(*) AS n, (SELECT count(*) FROM session_messages m WHERE m.archived_at IS NULL AND m.session_pk IN (SELECT pk FROM sessions ${live})) AS messages FROM sessions ${live}`,
    )
    .get(...params, now, ...params, now) as { n: number; messages: number };
  return {
    memories: totals.n,
    by_namespace: toRecord(group('namespace'), '(none)'),
    by_user: toRecord(group('user_id'), '(none)'),
    by_memory_type: toRecord(group('memory_type'), '(none)'),
    pinned: totals.pinned ?? 0,
    oldest: totals.oldest === null ? null : new Date(totals.oldest).toISOString(),
    newest: totals.newest === null ? null : new Date(totals.newest).toISOString(),
    sessions: sessions.n,
    messages: sessions.messages,
    storage_bytes: storageBytes(db, path),
  };
}

/** The database file and its write-ahead log; in memory, the pages in use. */
function storageBytes(db: Db, path: string | null): number {
  if (path === null) {
    const pages = db.pragma('page_count', { simple: true }) as number;
    return pages * (db.pragma('page_size', { simple: true }) as number);
  }
  let bytes = 0;
  for (const f of [path, `${path}-wal`]) {
    try {
      bytes += statSync(f).size;
    } catch {
      // No WAL file yet.
    }
  }
  return bytes;
}
