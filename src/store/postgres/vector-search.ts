import type { StoreFilter } from '../../models/filters.js';
import {
  SIMILARITY_EXACT_MAX,
  SIMILARITY_SAMPLE,
  type SimilarityStats,
  type VectorHit,
  type VectorPage,
} from '../port.js';
import { type DistanceSums, similarityFromSums } from '../similarity.js';
import type { Sql } from './client.js';
import { type FilterSql, filterSql, Params } from './filter-sql.js';
import { HIT_TIMES } from './keyword-search.js';
import { type VectorIndex, type VectorTables, vectorLiteral } from './vectors.js';

/** When HNSW picks candidates instead of an exact scan; tests lower the limits to exercise it on small data. */
export interface VectorSearchTuning {
  /** Filtered sets of up to this many memories are scanned exactly. */
  exactScanMax: number;
  /**
   * ...and so are those that keep less than this share of all memories: HNSW with a filter walks the whole
   * graph for few matches, where an exact scan reads only them.
   */
  minFilteredShare: number;
  /** The fewest candidates HNSW picks and the exact distance reorders: k + k/4, and at least this. */
  minCandidates: number;
}

export const DEFAULT_VECTOR_TUNING: VectorSearchTuning = {
  exactScanMax: 1000,
  minFilteredShare: 1 / 32,
  minCandidates: 64,
};

type Row = VectorHit & { total?: number } & Partial<DistanceSums>;

const strip = (rows: Row[], limit: number): VectorHit[] =>
  rows.slice(0, limit).map(({ total: _t, n: _n, s1: _1, s2: _2, ...hit }) => hit);

function similarityOf(d: DistanceSums | undefined): { similarity?: SimilarityStats } {
  const similarity = d ? similarityFromSums(d) : undefined;
  return similarity ? { similarity } : {};
}

const isZero = (v: Float32Array) => !v.some((x) => x !== 0);

/** The distance SQL and its parameter: `<=>` is pgvector's cosine distance, exact on the stored vectors. */
function distance(t: VectorTables, p: Params, query: Float32Array): string {
  return `(v.embedding <=> ${p.add(vectorLiteral(query))}::vector(${t.dim}))`;
}

/**
 * Nearest first by cosine distance, ties by id. An exact scan over the filtered memories when they are few, when
 * the filter keeps a small share of them, or when `maxDistance` asks for an exact count; otherwise the HNSW index
 * picks k + k/4 (at least 64) candidates, with the filter applied during the index scan (pgvector's iterative
 * scan goes on until it has enough), and those are ordered by exact distance and id. If the index yields fewer
 * hits than it should (a filter it could not satisfy within its scan limit), the exact scan answers instead.
 */
export async function vectorSearch(
  sql: Sql,
  vectors: VectorIndex,
  query: Float32Array,
  filter: StoreFilter,
  k: number,
  maxDistance: number | undefined,
  tuning: VectorSearchTuning,
  withSimilarity: boolean,
): Promise<VectorPage> {
  const { live: t } = await vectors.state(sql);
  if (!t) return { items: [], total: 0 };
  vectors.checkDimension(t, query);
  const limit = Math.max(0, Math.floor(k));
  // A zero query has no distance to anything (NaN in pgvector): nothing matches, as in the other stores.
  const zero = isZero(query);

  if (maxDistance !== undefined) {
    if (zero) return { items: [], total: 0 };
    // The total needs every filtered distance anyway, so one scan yields both the top k and the count.
    const p = new Params();
    const d = distance(t, p, query);
    const f = filterSql(filter, p);
    const rows = await sql.rows<Row>(
      `SELECT *, count(*) OVER () AS total FROM (
         SELECT m.id, ${d} AS distance, ${HIT_TIMES}
         FROM memories m JOIN ${t.table} v ON v.memory_pk = m.pk WHERE ${f.where} OFFSET 0
       ) AS s WHERE distance <= ${p.add(maxDistance)}::float8 ORDER BY distance, id LIMIT ${p.add(Math.max(1, limit))}`,
      p.values,
    );
    return { items: strip(rows, limit), total: rows[0]?.total ?? 0 };
  }

  const counted = await filteredCount(sql, filter);
  const total = counted.filtered;
  if (total === 0 || zero) return { items: [], total };
  // The figures are the same whichever way the hits are found: over every filtered memory up to
  // SIMILARITY_EXACT_MAX (which the exact scan adds up as it goes), else over the fixed sample.
  const sampled = async (items: VectorHit[]): Promise<VectorPage> =>
    withSimilarity
      ? { items, total, ...similarityOf(await sampleStats(sql, t, query, filter, total)) }
      : { items, total };
  if (limit === 0) return sampled([]);
  const indexed =
    t.index !== null &&
    total > tuning.exactScanMax &&
    (counted.empty || total >= tuning.minFilteredShare * counted.all);
  if (indexed) {
    const candidates = Math.max(tuning.minCandidates, limit + Math.ceil(limit / 4));
    const items = await hnswSearch(sql, t, query, filter, candidates, limit);
    if (items.length >= Math.min(limit, total)) return sampled(items);
  }
  if (withSimilarity && total > SIMILARITY_EXACT_MAX) {
    return sampled((await exactScan(sql, t, query, filter, limit, total, false)).items);
  }
  return exactScan(sql, t, query, filter, limit, total, withSimilarity);
}

/** The filtered count, and all memories (keyword_stats has it at once, without a scan). */
async function filteredCount(
  sql: Sql,
  filter: StoreFilter,
): Promise<{ filtered: number; all: number; empty: boolean }> {
  const p = new Params();
  const f = filterSql(filter, p);
  const all = 'SELECT coalesce(sum(docs), 0) FROM keyword_stats';
  const row = await sql.one<{ filtered: number; all: number }>(
    f.empty
      ? `SELECT (${all}) AS filtered, (${all}) AS "all"`
      : `SELECT (SELECT count(*) FROM memories m WHERE ${f.where}) AS filtered, (${all}) AS "all"`,
    p.values,
  );
  return { filtered: row?.filtered ?? 0, all: row?.all ?? 0, empty: f.empty };
}

/**
 * Every filtered distance, the top k by distance and id, and (when asked) the count, sum and sum of squares of the
 * distances over all of them, in one pass. Zero vectors (NaN distances, which sort last) are never hits.
 */
async function exactScan(
  sql: Sql,
  t: VectorTables,
  query: Float32Array,
  filter: StoreFilter,
  limit: number,
  total: number,
  withSimilarity: boolean,
): Promise<VectorPage> {
  const p = new Params();
  const d = distance(t, p, query);
  const f = filterSql(filter, p);
  const sums = withSimilarity
    ? `, count(*) FILTER (WHERE distance <> 'NaN') OVER () AS n,
         sum(distance) FILTER (WHERE distance <> 'NaN') OVER () AS s1,
         sum(distance * distance) FILTER (WHERE distance <> 'NaN') OVER () AS s2`
    : '';
  const rows = await sql.rows<Row>(
    `SELECT *${sums} FROM (
       SELECT m.id, ${d} AS distance, ${HIT_TIMES}
       FROM memories m JOIN ${t.table} v ON v.memory_pk = m.pk WHERE ${f.where} OFFSET 0
     ) AS s ORDER BY distance, id LIMIT ${p.add(Math.max(1, limit))}`,
    p.values,
  );
  const stats = withSimilarity && rows[0] ? (rows[0] as DistanceSums) : undefined;
  const items = strip(rows, limit).filter((h) => !Number.isNaN(h.distance));
  return stats ? { items, total, ...similarityOf(stats) } : { items, total };
}

/**
 * The HNSW index's nearest candidates among the filtered memories, reordered by exact distance (the index's
 * order is approximate, and over half-precision copies above 2000 dimensions) and id. The outer sort is on
 * `distance + 0`: sorted by `distance` itself, the planner takes the index's order for exact and stops reading
 * candidates after the first k.
 */
async function hnswSearch(
  sql: Sql,
  t: VectorTables,
  query: Float32Array,
  filter: StoreFilter,
  candidates: number,
  limit: number,
): Promise<VectorHit[]> {
  const p = new Params();
  const q = p.add(vectorLiteral(query));
  const order =
    t.index === 'halfvec'
      ? `(v.embedding::halfvec(${t.dim}) <=> ${q}::halfvec(${t.dim}))`
      : `(v.embedding <=> ${q}::vector(${t.dim}))`;
  const f: FilterSql = filterSql(filter, p);
  const rows = await sql.rows<Row>(
    `SELECT * FROM (
       SELECT m.id, (v.embedding <=> ${q}::vector(${t.dim})) AS distance, ${HIT_TIMES}
       FROM ${t.table} v JOIN memories m ON m.pk = v.memory_pk
       WHERE ${f.where}
       ORDER BY ${order} LIMIT ${p.add(candidates)}
     ) AS c WHERE distance <> 'NaN' ORDER BY distance + 0, id LIMIT ${p.add(limit)}`,
    p.values,
  );
  return strip(rows, limit);
}

/**
 * The query's similarity to the filtered memories: every one up to SIMILARITY_EXACT_MAX, else about
 * SIMILARITY_SAMPLE of them picked by a hash of their row id (the same pick on every search, in every process,
 * and not aligned with any regular order of writes), which the memories_sample index reads as one range.
 */
async function sampleStats(
  sql: Sql,
  t: VectorTables,
  query: Float32Array,
  filter: StoreFilter,
  total: number,
): Promise<DistanceSums> {
  const p = new Params();
  const d = distance(t, p, query);
  const f = filterSql(filter, p);
  const sample =
    total <= SIMILARITY_EXACT_MAX
      ? ''
      : `AND (hashint8(m.pk) & 2147483647) < ${p.add(Math.ceil((2 ** 31 * SIMILARITY_SAMPLE) / total))}
         LIMIT ${p.add(2 * SIMILARITY_SAMPLE)}`;
  const row = await sql.one<DistanceSums>(
    `SELECT count(distance) AS n, sum(distance) AS s1, sum(distance * distance) AS s2 FROM (
       SELECT nullif(${d}, 'NaN') AS distance
       FROM memories m JOIN ${t.table} v ON v.memory_pk = m.pk WHERE ${f.where} ${sample}
     ) AS s`,
    p.values,
  );
  return row ?? { n: 0, s1: null, s2: null };
}

/** Cosine distances to the memories `ids` that exist and have a vector. */
export async function vectorDistances(
  sql: Sql,
  vectors: VectorIndex,
  query: Float32Array,
  ids: string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { live: t } = await vectors.state(sql);
  if (!t || ids.length === 0) return out;
  vectors.checkDimension(t, query);
  const p = new Params();
  const d = distance(t, p, query);
  const rows = await sql.rows<{ id: string; distance: number }>(
    `SELECT m.id, ${d} AS distance FROM memories m JOIN ${t.table} v ON v.memory_pk = m.pk
     WHERE m.id = ANY(${p.add([...new Set(ids)])}::text[])`,
    p.values,
  );
  for (const r of rows) if (!Number.isNaN(r.distance)) out.set(r.id, r.distance);
  return out;
}
