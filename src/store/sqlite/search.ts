import type { StoreFilter } from '../../models/filters.js';
import type { KeywordHit, Page, VectorHit } from '../port.js';
import { toBlob } from './codec.js';
import { filterSql } from './filter-sql.js';
import type { StatementCache } from './statements.js';
import { VEC0_MAX_K, type VectorIndex } from './vectors.js';

export const DEFAULT_CONTEXT_WEIGHT = 0.5;

/** Each term becomes an FTS5 string, so operators and punctuation in it are never parsed as query syntax. */
export function ftsQuery(terms: string[]): string | null {
  const quoted = terms.filter((t) => t.trim() !== '').map((t) => `"${t.replaceAll('"', '""')}"`);
  return quoted.length === 0 ? null : quoted.join(' OR ');
}

export function keywordSearch(
  stmts: StatementCache,
  terms: string[],
  filter: StoreFilter,
  k: number,
  contextWeight = DEFAULT_CONTEXT_WEIGHT,
): Page<KeywordHit> {
  const query = ftsQuery(terms);
  if (query === null) return { items: [], total: 0 };
  const f = filterSql(filter);
  const from = `FROM memories_fts JOIN memories m ON m.pk = memories_fts.rowid WHERE memories_fts MATCH ? AND ${f.where}`;
  const items = stmts
    .get(`SELECT m.id AS id, -bm25(memories_fts, 1.0, ?) AS score ${from} ORDER BY score DESC, m.id LIMIT ?`)
    .all(contextWeight, query, ...f.params, Math.max(0, k)) as KeywordHit[];
  const { n } = stmts.get(`SELECT count(*) AS n ${from}`).get(query, ...f.params) as { n: number };
  return { items, total: n };
}

/**
 * Exact KNN. With no filter and no distance cut the vec0 KNN is fastest; otherwise an exact scan over the plain
 * vector table restricted to the filtered rows (see vectors.ts for the measurements).
 * Zero vectors have no direction (distance NULL) and are never hits.
 */
export function vectorSearch(
  stmts: StatementCache,
  vectors: VectorIndex,
  query: Float32Array,
  filter: StoreFilter,
  k: number,
  maxDistance?: number,
): Page<VectorHit> {
  const t = vectors.current();
  if (!t) return { items: [], total: 0 };
  vectors.checkDimension(t, query);
  const q = toBlob(query);
  const f = filterSql(filter);
  const limit = Math.max(0, Math.floor(k));
  const count = () =>
    (stmts.get(`SELECT count(*) AS n FROM memories m WHERE ${f.where}`).get(...f.params) as { n: number }).n;

  if (maxDistance === undefined) {
    if (limit === 0) return { items: [], total: count() };
    const items = (
      f.empty && limit <= VEC0_MAX_K
        ? stmts
            .get(
              // `+v.distance`: the subquery is flattened, and vec0 rejects an IS NOT NULL constraint pushed
              // down onto its distance column.
              `SELECT m.id AS id, v.distance AS distance
               FROM (SELECT rowid, distance FROM ${t.vec} WHERE embedding MATCH ? AND k = ?) v
               JOIN memories m ON m.pk = v.rowid
               WHERE +v.distance IS NOT NULL ORDER BY v.distance, m.id`,
            )
            .all(q, limit)
        : // NULLS LAST rather than `WHERE distance IS NOT NULL`: SQLite expands an alias in WHERE, which would
          // compute every distance twice (measured 2x slower).
          stmts
            .get(
              `SELECT m.id AS id, vec_distance_cosine(v.embedding, ?) AS distance
               FROM memories m JOIN ${t.blob} v ON v.memory_rowid = m.pk
               WHERE ${f.where} ORDER BY distance NULLS LAST, m.id LIMIT ?`,
            )
            .all(q, ...f.params, limit)
    ) as { id: string; distance: number | null }[];
    return { items: items.filter((h): h is VectorHit => h.distance !== null), total: count() };
  }

  // The total needs every filtered distance anyway, so one scan yields both the top k and the count. (A window
  // count beats a second counting scan; it costs most when nearly every row is within maxDistance.)
  const rows = stmts
    .get(
      `SELECT id, distance, count(*) OVER () AS total FROM (
         SELECT m.id AS id, vec_distance_cosine(v.embedding, ?) AS distance
         FROM memories m JOIN ${t.blob} v ON v.memory_rowid = m.pk WHERE ${f.where}
       ) WHERE distance <= ? ORDER BY distance, id LIMIT ?`,
    )
    .all(q, ...f.params, maxDistance, Math.max(1, limit)) as (VectorHit & { total: number })[];
  const total = rows[0]?.total ?? 0;
  return { items: rows.slice(0, limit).map(({ id, distance }) => ({ id, distance })), total };
}
