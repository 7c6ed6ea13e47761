import { contentHash } from '../../util/content-hash.js';
import { log } from '../../util/log.js';
import type { EraseCounts, StoreCounts } from '../port.js';
import type { Db } from './client.js';
import { Params } from './filter-sql.js';
import { deleteMemoryRows } from './memories.js';

/** The tables this store owns (vector generations aside): what storage figures add up and an erase vacuums. */
const TABLES = [
  'memories',
  'memory_terms',
  'term_docs',
  'keyword_stats',
  'sessions',
  'session_messages',
  'embedding_cache',
  'tasks',
  'activity',
  'summary_views',
  'summary_view_partitions',
  'meta',
  'schema_migrations',
];
const ERASED = [
  'memories',
  'memory_terms',
  'term_docs',
  'sessions',
  'session_messages',
  'embedding_cache',
  'tasks',
  'activity',
];

/** This schema's tables by name: ours, and every vector generation. */
const OWN_TABLES = `SELECT c.oid, c.relname FROM pg_class c
  WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'r'
    AND (c.relname = ANY($1::text[]) OR c.relname LIKE 'memory\\_vectors\\_g%')`;

/**
 * Deletes one user's rows in one transaction, then vacuums the tables they were in: PostgreSQL keeps deleted row
 * versions until a vacuum removes them, so without it their words would stay readable in the data files until
 * autovacuum came by. (Backups and the write-ahead log keep what they hold for their own retention.)
 */
export async function eraseUser(
  db: Db,
  userId: string,
  namespace: string | undefined,
): Promise<EraseCounts & { hashes: string[] }> {
  const owned = 'user_id = $1 AND ($2::text IS NULL OR namespace = $2)';
  const scope = [userId, namespace ?? null];
  const counts = await db.tx(async (t): Promise<EraseCounts & { hashes: string[] }> => {
    const rows = await t.rows<{ pk: number; text: string }>(`SELECT pk, text FROM memories WHERE ${owned}`, scope);
    const hashes = [...new Set(rows.map((r) => contentHash(r.text)))];
    return {
      hashes,
      memories: await deleteMemoryRows(
        t,
        rows.map((r) => r.pk),
      ),
      // Messages, archived ones included, go with their session (ON DELETE CASCADE).
      sessions: await t.run(`DELETE FROM sessions WHERE ${owned}`, scope),
      activity_events: await t.run(`DELETE FROM activity WHERE ${owned}`, scope),
      tasks: await t.run(
        `DELETE FROM tasks WHERE payload::json ->> 'user_id' = $1
           AND ($2::text IS NULL OR payload::json ->> 'namespace' = $2)`,
        scope,
      ),
      cached_embeddings: hashes.length
        ? await t.run('DELETE FROM embedding_cache WHERE hash = ANY($1::text[])', [hashes])
        : 0,
    };
  });
  try {
    const tables = await db.rows<{ relname: string }>(OWN_TABLES, [ERASED]);
    if (tables.length) await db.run(`VACUUM ${tables.map((r) => r.relname).join(', ')}`);
  } catch (err) {
    // The rows are gone either way; autovacuum removes their old versions later.
    log.warn('erase: vacuum failed', { error: err instanceof Error ? err.message : String(err) });
  }
  return counts;
}

type Grouped = { field: 'namespace' | 'user_id' | 'memory_type'; key: string | null; n: number };

/** Statistics over the memories and sessions of a namespace and/or user (all when neither is given). */
export async function countStore(db: Db, scope: { namespace?: string; user_id?: string }): Promise<StoreCounts> {
  const p = new Params();
  const where: string[] = [];
  if (scope.namespace !== undefined) where.push(`namespace = ${p.add(scope.namespace)}`);
  if (scope.user_id !== undefined) where.push(`user_id = ${p.add(scope.user_id)}`);
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const groups = await db.rows<Grouped>(
    `SELECT CASE WHEN GROUPING(namespace) = 0 THEN 'namespace' WHEN GROUPING(user_id) = 0 THEN 'user_id'
              ELSE 'memory_type' END AS field,
            coalesce(namespace, user_id, memory_type) AS key, count(*) AS n
     FROM memories ${w} GROUP BY GROUPING SETS ((namespace), (user_id), (memory_type))`,
    p.values,
  );
  const totals = await db.one<{ n: number; pinned: number; oldest: number | null; newest: number | null }>(
    `SELECT count(*) AS n, count(*) FILTER (WHERE pinned) AS pinned, min(created_at) AS oldest,
       max(created_at) AS newest FROM memories ${w}`,
    p.values,
  );
  const now = p.add(Date.now());
  const live = `${w ? `${w} AND` : 'WHERE'} (expires_at IS NULL OR expires_at > ${now})`;
  const sessions = await db.one<{ n: number; messages: number }>(
    `SELECT count(*) AS n, (SELECT count(*) FROM session_messages m WHERE m.archived_at IS NULL
       AND m.session_pk IN (SELECT pk FROM sessions ${live})) AS messages FROM sessions ${live}`,
    p.values,
  );
  const bytes = await db.one<{ bytes: number }>(
    `SELECT coalesce(sum(pg_total_relation_size(t.oid)), 0) AS bytes FROM (${OWN_TABLES}) AS t`,
    [TABLES],
  );
  const byField = (field: Grouped['field']) =>
    Object.fromEntries(groups.filter((g) => g.field === field).map((g) => [g.key ?? '(none)', g.n])) as Record<
      string,
      number
    >;
  return {
    memories: totals?.n ?? 0,
    by_namespace: byField('namespace'),
    by_user: byField('user_id'),
    by_memory_type: byField('memory_type'),
    pinned: totals?.pinned ?? 0,
    oldest: totals?.oldest == null ? null : new Date(totals.oldest).toISOString(),
    newest: totals?.newest == null ? null : new Date(totals.newest).toISOString(),
    sessions: sessions?.n ?? 0,
    messages: sessions?.messages ?? 0,
    storage_bytes: bytes?.bytes ?? null,
  };
}
