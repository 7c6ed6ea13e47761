import type { StoreFilter, TagField } from '../../models/filters.js';
import { dotAt } from '../../util/cosine.js';
import { queryTokens } from '../bm25.js';
import {
  type KeywordHit,
  type Page,
  SIMILARITY_EXACT_MAX,
  SIMILARITY_SAMPLE,
  type SimilarityStats,
  type VectorHit,
  type VectorPage,
} from '../port.js';
import { type DistanceSums, similarityFromSums } from '../similarity.js';
import { asStored, quantize } from './codec.js';
import { type FilterSql, filterSql } from './filter-sql.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';
import { probeLists } from './vector-lists.js';
import {
  encode,
  filterKey,
  KEY_COLUMNS,
  putUnitRow,
  SHARDS,
  VEC0_MAX_K,
  type VectorIndex,
  type VectorTables,
} from './vectors.js';

export const DEFAULT_CONTEXT_WEIGHT = 0.5;

/** Every hit carries its memory's times, importance and pin, so ranking needs no record fetch. */
const TIMES =
  'm.created_at AS createdMs, m.last_accessed AS lastAccessedMs, m.importance AS importance, m.pinned AS pinned';
/** The same columns, selected again from a subquery. */
const FACTS = 'createdMs, lastAccessedMs, importance, pinned';

/** SQLite has no booleans: pinned comes back as 0 or 1. */
function withPinned<T extends { pinned?: boolean | number }>(rows: T[]): T[] {
  for (const r of rows) r.pinned = r.pinned === 1 || r.pinned === true;
  return rows;
}

/** Filter fields whose SQL reads only columns of the memories_search index (multi-valued tags need only m.pk). */
const SEARCH_INDEX_TAGS = new Set(['namespace', 'user_id', 'session_id', 'memory_type', 'topics', 'entities']);
const SEARCH_INDEX_TIMES = new Set(['created_at', 'last_accessed']);

/**
 * `memories m`, read through the covering memories_search index when the filter needs no other column: a search
 * joins every match to its memory, and the index's entries sit in far fewer pages than the rows.
 */
function memoriesFor(filter: StoreFilter): string {
  const covered =
    Object.entries(filter.tags).every(([k, v]) => v === undefined || SEARCH_INDEX_TAGS.has(k)) &&
    Object.entries(filter.times).every(([k, v]) => v === undefined || SEARCH_INDEX_TIMES.has(k));
  return covered ? 'memories m INDEXED BY memories_search' : 'memories m';
}

/** Each term becomes an FTS5 string, so operators and punctuation in it are never parsed as query syntax. */
export function ftsQuery(terms: string[]): string | null {
  const quoted = terms.filter((t) => t.trim() !== '').map((t) => `"${t.replaceAll('"', '""')}"`);
  return quoted.length === 0 ? null : quoted.join(' OR ');
}

/** The counts memory_counts keeps: '*' for all memories, 'ns:' + namespace per namespace. */
export function storedCount(stmts: StatementCache, key: string): number {
  const row = stmts.get('SELECT n FROM memory_counts WHERE key = ?').get(key) as { n: number } | undefined;
  return row?.n ?? 0;
}

/** How many memories the filter keeps, when memory_counts tells at once: no filter, or one namespace alone. */
function knownCount(stmts: StatementCache, filter: StoreFilter, f: FilterSql): number | undefined {
  if (f.empty) return storedCount(stmts, '*');
  // Every filter clause binds at least one value, so one value and a namespace eq mean that eq alone.
  const eq = filter.tags.namespace?.eq;
  return f.params.length === 1 && eq !== undefined ? storedCount(stmts, `ns:${eq}`) : undefined;
}

/** True when the filter keeps every memory, as a filter on the one namespace all memories are in does. */
function keepsAll(stmts: StatementCache, filter: StoreFilter, f: FilterSql): boolean {
  if (f.empty) return true;
  const n = knownCount(stmts, filter, f);
  return n !== undefined && n === storedCount(stmts, '*');
}

/**
 * BM25, best first, ties by insertion order (pk). With a filter that keeps every memory, the full-text index alone
 * ranks the matches and only the top k are joined to their memories (where the filter is still applied, so a
 * memory written meanwhile elsewhere cannot slip in: the search is then redone the general way); otherwise each
 * match is joined and filtered before ranking.
 */
export function keywordSearch(
  stmts: StatementCache,
  terms: string[],
  filter: StoreFilter,
  k: number,
  contextWeight = DEFAULT_CONTEXT_WEIGHT,
  count = true,
): Page<KeywordHit> {
  const query = ftsQuery(terms);
  if (query === null) return { items: [], total: 0 };
  const f = filterSql(filter);
  const limit = Math.max(0, Math.floor(k));
  const m = memoriesFor(filter);

  if (keepsAll(stmts, filter, f)) {
    const items = stmts
      .get(
        `SELECT m.id AS id, t.score AS score, ${TIMES} FROM (
           SELECT rowid, -bm25(memories_fts, 1.0, ?) AS score FROM memories_fts WHERE memories_fts MATCH ?
           ORDER BY score DESC, rowid LIMIT ?
         ) t CROSS JOIN ${m} ON m.pk = t.rowid WHERE ${f.where} ORDER BY t.score DESC, t.rowid`,
      )
      .all(contextWeight, query, limit, ...f.params) as KeywordHit[];
    withPinned(items);
    // With a filter, fewer than k hits may mean that it dropped some: only the general way can tell.
    if (f.empty || items.length === limit) {
      if (!count || items.length < limit) return { items, total: items.length };
      // Each full-text row is written and deleted with its memory, in one transaction: no join needed.
      const all = stmts.get('SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ?').get(query);
      return { items, total: (all as { n: number }).n };
    }
  }

  const select = `SELECT m.id AS id, -bm25(memories_fts, 1.0, ?) AS score, m.pk AS pk, ${TIMES}
    FROM memories_fts CROSS JOIN ${m} ON m.pk = memories_fts.rowid WHERE memories_fts MATCH ? AND ${f.where}`;
  if (!count) {
    const items = stmts
      .get(`SELECT id, score, ${FACTS} FROM (${select}) ORDER BY score DESC, pk LIMIT ?`)
      .all(contextWeight, query, ...f.params, limit) as KeywordHit[];
    return { items: withPinned(items), total: items.length };
  }
  // Every match costs a join here, so counting them in the same pass beats a second one (measured 0.5 against
  // 0.8 ms for 135 of 1345 matches at 10k). With k = 0, one row is still read, for the count.
  const rows = stmts
    .get(
      `SELECT id, score, ${FACTS}, count(*) OVER () AS total FROM (${select})
       ORDER BY score DESC, pk LIMIT ?`,
    )
    .all(contextWeight, query, ...f.params, limit === 0 ? 1 : limit) as (KeywordHit & { total: number })[];
  return { items: withPinned(rows.slice(0, limit).map(({ total: _, ...hit }) => hit)), total: rows[0]?.total ?? 0 };
}

/** When the coarse (binary code) search is used instead of an exact scan; tests lower the limits to exercise it. */
export interface VectorSearchTuning {
  /** Filtered sets of up to this many memories are scanned exactly. */
  exactScanMax: number;
  /** ...and so are those with fewer than this many memories per coarse candidate. */
  rowsPerCandidate: number;
  /** The fewest candidates taken by code distance and rescored exactly: k + k/4, and at least this. */
  minCandidates: number;
  /**
   * With lists (vector-lists.ts), the nearest lists are probed until they are expected to hold this share of the
   * memories, and at least `probeMinRows` of them, both divided by the share of the memories the filter keeps; when
   * that is half of them or more, every list is searched.
   */
  probeShare?: number;
  probeMinRows?: number;
  /**
   * Candidates rescored when the lists are probed (at least): they come from a few lists, so more of them cost
   * little (120k memories, hashed embedder: 256 took recall@10 against an exact scan from 0.466 to 0.874, at 9.7
   * ms against 7.2; every code, 64 candidates: 0.420 at 23.2 ms).
   */
  listCandidates?: number;
}

export const DEFAULT_VECTOR_TUNING: VectorSearchTuning = {
  exactScanMax: 1000,
  rowsPerCandidate: 16,
  minCandidates: 64,
};

/**
 * Nearest first by cosine distance, ties by id. An exact scan over the filtered rows when they are few (or when
 * `maxDistance` asks for an exact count); otherwise the vec0 Hamming KNN over binary codes (vectors.ts) picks
 * k + k/4 (at least 64) candidates, restricted by the filter, and those are rescored exactly: the top hits are then
 * the exact ones in nearly every query (vectors.ts has the figures).
 */
export function vectorSearch(
  stmts: StatementCache,
  vectors: VectorIndex,
  query: Float32Array,
  filter: StoreFilter,
  k: number,
  maxDistance?: number,
  tuning: VectorSearchTuning = DEFAULT_VECTOR_TUNING,
  withSimilarity = false,
): VectorPage {
  const t = vectors.current();
  if (!t) return { items: [], total: 0 };
  vectors.checkDimension(t, query);
  const q = quantize(query).bytes;
  const f = filterSql(filter);
  const limit = Math.max(0, Math.floor(k));

  if (maxDistance !== undefined) {
    // The total needs every filtered distance anyway, so one scan yields both the top k and the count. (A window
    // count beats a second counting scan; it costs most when nearly every row is within maxDistance.)
    const rows = stmts
      .get(
        `SELECT id, distance, ${FACTS}, count(*) OVER () AS total FROM (
           SELECT m.id AS id, vec_distance_cosine(vec_int8(v.embedding), vec_int8(?)) AS distance, ${TIMES}
           FROM memories m JOIN ${t.blob} v ON v.memory_rowid = m.pk WHERE ${f.where}
         ) WHERE distance <= ? ORDER BY distance, id LIMIT ?`,
      )
      .all(q, ...f.params, maxDistance, Math.max(1, limit)) as (VectorHit & { total: number })[];
    const total = rows[0]?.total ?? 0;
    return { items: withPinned(rows.slice(0, limit).map(({ total: _, ...hit }) => hit)), total };
  }

  const total =
    knownCount(stmts, filter, f) ??
    (stmts.get(`SELECT count(*) AS n FROM memories m WHERE ${f.where}`).get(...f.params) as { n: number }).n;
  if (total === 0 || (limit === 0 && !withSimilarity)) return { items: [], total };
  const candidates = Math.min(VEC0_MAX_K, Math.max(tuning.minCandidates, limit + Math.ceil(limit / 4)));
  // The KNN reads every code whatever the filter, at a cost that grows with the candidates; a scan reads only the
  // filtered rows.
  if (t.code && total > tuning.exactScanMax && candidates * tuning.rowsPerCandidate <= total) {
    const probe = { vectors, tuning, total };
    const coarse = () => coarseSearch(stmts, t, query, q, filter, f, candidates, limit, probe);
    let items: VectorHit[] = [];
    try {
      if (limit > 0) items = coarse();
    } catch (err) {
      // The last codes moved to their lists and the unlisted table dropped between reading that it was there and
      // searching it: it is gone for good, so once more.
      if (!(err instanceof Error && /no such table/.test(err.message))) throw err;
      items = coarse();
    }
    // Fewer hits than asked can only come from zero vectors or key collisions among the candidates.
    if (items.length >= Math.min(limit, total)) {
      return withSimilarity
        ? { items, total, ...similarityOf(sampleStats(stmts, t, query, filter, f, total)) }
        : { items, total };
    }
  }
  return exactScan(stmts, t, q, f, limit, total, withSimilarity);
}

/**
 * The exact scan: every filtered distance, computed once, in a pass that reads only the memories' row ids (an
 * index on the filter holds them, so no memory row is read), then the top k joined to their memories. Reading id and
 * times for every filtered row instead cost 1.9 against 1.3 ms for 1000 of 10k memories. The pass orders by row id
 * on ties, the result by id: a tie across the k-th place (equal vectors) is settled the slow way, by id over all.
 */
function exactScan(
  stmts: StatementCache,
  t: VectorTables,
  q: Buffer,
  f: FilterSql,
  limit: number,
  total: number,
  withSimilarity: boolean,
): VectorPage {
  const distances = `SELECT m.pk AS pk, vec_distance_cosine(vec_int8(v.embedding), vec_int8(?)) AS distance
       FROM memories m JOIN ${t.blob} v ON v.memory_rowid = m.pk WHERE ${f.where}`;
  // NULLS LAST rather than `WHERE distance IS NOT NULL`: SQLite expands an alias in WHERE, which would compute
  // every distance twice (measured 2x slower). A zero vector has no distance.
  const top = `SELECT m.id AS id, d.distance AS distance, ${TIMES}, NULL AS n, NULL AS s1, NULL AS s2
     FROM (SELECT * FROM d ORDER BY distance NULLS LAST, pk LIMIT ?) d CROSS JOIN memories m ON m.pk = d.pk
     ORDER BY distance NULLS LAST, id LIMIT ?`;
  const sums = withSimilarity
    ? 'UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, count(distance), sum(distance), sum(distance * distance) FROM d'
    : '';
  // LIMIT -1: no limit.
  const run = (first: number, kept: number) => {
    const rows = stmts
      .get(`WITH d AS MATERIALIZED (${distances}) SELECT * FROM (${top}) ${sums}`)
      .all(q, ...f.params, first, kept) as (VectorHit & DistanceSums)[];
    const stats = withSimilarity ? rows.pop()! : undefined;
    return { hits: rows.map(({ n: _, s1: _1, s2: _2, ...hit }) => hit), stats };
  };
  // One more than k: a tie between the k-th and the next is the only case where ids must decide who is in.
  let { hits, stats } = run(limit + 1, -1);
  const kth = hits[limit - 1]?.distance;
  if (kth != null && hits[limit]?.distance === kth) ({ hits, stats } = run(-1, limit));
  const items = withPinned(hits.slice(0, limit).filter((h) => h.distance !== null));
  return stats ? { items, total, ...similarityOf(stats) } : { items, total };
}

function similarityOf(d: DistanceSums): { similarity?: SimilarityStats } {
  const similarity = similarityFromSums(d);
  return similarity ? { similarity } : {};
}

/** Unit-length vectors of a sample, row after row, and the state of the table they were read in. */
interface Sample {
  version: string;
  dim: number;
  rows: Float32Array;
}

/** Per connection: the samples of the last SAMPLES_KEPT filters sampled (few filters recur: a namespace, a user). */
const samples = new WeakMap<StatementCache, Map<string, Sample>>();
const SAMPLES_KEPT = 32;

/**
 * The query's similarity to about SIMILARITY_SAMPLE of the filtered memories, picked by a multiplicative hash of
 * their row id: the same pick on every search, in every process, and not aligned with any regular order of writes
 * (every tenth row of ten interleaved namespaces is one namespace). The sample's vectors are kept between searches
 * until the filter's count or the newest row id changes (a memory added anywhere, or one of these removed), or the
 * vectors are rebuilt; an edit's new vector may wait for that, which moves a spread figure by a 256th at most.
 */
function sampleStats(
  stmts: StatementCache,
  t: VectorTables,
  query: Float32Array,
  filter: StoreFilter,
  f: FilterSql,
  total: number,
): DistanceSums {
  const top = stmts.get('SELECT max(pk) AS pk FROM memories').get() as { pk: number | null };
  const version = `${t.gen}:${total}:${top.pk}`;
  let cache = samples.get(stmts);
  if (!cache) {
    cache = new Map();
    samples.set(stmts, cache);
  }
  const key = `${f.where}\u0000${JSON.stringify(f.params)}`;
  let sample = cache.get(key);
  if (sample?.version !== version) {
    // Every filtered memory when they are few (on this path only when tests lower the scan limits).
    const below = total <= SIMILARITY_EXACT_MAX ? 2 ** 32 : Math.ceil((2 ** 32 * SIMILARITY_SAMPLE) / total);
    const most = total <= SIMILARITY_EXACT_MAX ? total : 2 * SIMILARITY_SAMPLE;
    const blobs = stmts
      .get(
        `SELECT v.embedding AS embedding, v.scale AS scale FROM ${memoriesFor(filter)} JOIN ${t.blob} v ON v.memory_rowid = m.pk
         WHERE ${f.where} AND ((m.pk * 2654435761) & 4294967295) < ? LIMIT ?`,
      )
      .all(...f.params, below, most) as { embedding: Uint8Array; scale: number | null }[];
    const rows = new Float32Array(blobs.length * t.dim);
    let n = 0;
    for (const blob of blobs) if (putUnitRow(rows, n, t.dim, blob)) n++;
    sample = { version, dim: t.dim, rows: rows.subarray(0, n * t.dim) };
    cache.delete(key);
    cache.set(key, sample);
    if (cache.size > SAMPLES_KEPT) cache.delete(cache.keys().next().value!);
  }
  // Compared as the distances of the hits are: both sides quantized.
  const stored = asStored(query);
  const qn = Math.hypot(...stored);
  const n = sample.rows.length / sample.dim;
  if (!(qn > 0) || n === 0) return { n: 0, s1: null, s2: null };
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = 1 - dotAt(sample.rows, i * sample.dim, stored) / qn;
    s1 += d;
    s2 += d * d;
  }
  return { n, s1, s2 };
}

/** Cosine distances to the memories `ids` that exist and have a vector. */
export function vectorDistances(
  stmts: StatementCache,
  vectors: VectorIndex,
  query: Float32Array,
  ids: string[],
): Map<string, number> {
  const out = new Map<string, number>();
  const t = vectors.current();
  if (!t || ids.length === 0) return out;
  vectors.checkDimension(t, query);
  const rows = stmts
    .get(
      `SELECT m.id AS id, vec_distance_cosine(vec_int8(v.embedding), vec_int8(?)) AS distance
       FROM memories m JOIN ${t.blob} v ON v.memory_rowid = m.pk WHERE m.id IN (SELECT value FROM json_each(?))`,
    )
    .all(quantize(query).bytes, JSON.stringify(ids)) as { id: string; distance: number | null }[];
  for (const r of rows) if (r.distance !== null) out.set(r.id, r.distance);
  return out;
}

/**
 * The candidates' KNN runs inside vec0, per shard, with the filter's namespace, user and session equalities as
 * metadata key constraints and anything else as a `rowid IN` list of the filtered memories; the full filter is then
 * applied again to the candidates, which the keys alone could let through on a hash collision. Once the lists are
 * trained, the KNN runs in the lists nearest the query (plus, while they are being moved, over the codes not yet in
 * a list), and the nearest codes of all it found are rescored.
 */
function coarseSearch(
  stmts: StatementCache,
  t: VectorTables,
  query: Float32Array,
  q: Buffer,
  filter: StoreFilter,
  f: FilterSql,
  candidates: number,
  limit: number,
  probe: { vectors: VectorIndex; tuning: VectorSearchTuning; total: number },
): VectorHit[] {
  const keyClauses: string[] = [];
  const keys: bigint[] = [];
  const restTags: StoreFilter['tags'] = { ...filter.tags };
  for (const [field, column] of Object.entries(KEY_COLUMNS)) {
    const tf = filter.tags[field as TagField];
    if (tf?.eq === undefined) continue;
    keyClauses.push(`AND ${column} = ?`);
    keys.push(filterKey(tf.eq));
    const { eq: _, ...others } = tf;
    restTags[field as TagField] = others;
  }
  const rest = filterSql({ ...filter, tags: restTags });
  const code = encode(query, t.code!, true);
  const constraints = `${keyClauses.join(' ')} ${rest.empty ? '' : 'AND rowid IN rest'}`;
  const perShard = Math.ceil(candidates / SHARDS);
  const unlisted = `SELECT rowid, distance FROM ${t.vec} WHERE code MATCH vec_bit(?) AND k = ? AND shard = ? ${constraints}`;
  const unlistedParams = Array.from({ length: SHARDS }, (_, shard) => [code, perShard, shard, ...keys]).flat();
  const model = probe.vectors.listModel(t);
  let knn: string;
  let knnParams: unknown[];
  if (!model) {
    knn = Array(SHARDS).fill(unlisted).join(' UNION ALL ');
    knnParams = unlistedParams;
  } else {
    candidates = Math.min(VEC0_MAX_K, Math.max(candidates, probe.tuning.listCandidates ?? 256));
    const all = storedCount(stmts, '*');
    const kept = Math.min(1, Math.max(probe.total, 1) / Math.max(all, 1));
    const { probeMinRows = 4096, probeShare = 1 / 64 } = probe.tuning;
    const want = Math.max(probeMinRows, all * probeShare) / kept;
    const lists = want * 2 >= all ? null : probeLists(model, query, want / all);
    knn = `SELECT rowid, distance FROM ${t.listed} WHERE code MATCH vec_bit(?) AND k = ?
      ${lists ? 'AND shard IN (SELECT value FROM json_each(?))' : ''} ${constraints}`;
    // Each list gives its own nearest: most of the overall nearest are in the first few lists probed.
    const perList = lists ? Math.min(candidates, Math.max(16, Math.ceil((4 * candidates) / lists.length))) : candidates;
    knnParams = [code, perList, ...(lists ? [JSON.stringify(lists)] : []), ...keys];
    if (probe.vectors.moving(t)) {
      knn = [knn, ...Array(SHARDS).fill(unlisted)].join(' UNION ALL ');
      knnParams.push(...unlistedParams);
    }
  }
  // CROSS JOIN keeps the KNN the outer loop, whatever indexes the filter could use on memories.
  const rows = stmts
    .get(
      `WITH ${rest.empty ? '' : `rest (pk) AS MATERIALIZED (SELECT m.pk FROM memories m WHERE ${rest.where}),`}
       near (rowid, distance) AS MATERIALIZED (${knn}),
       c (rowid) AS (SELECT rowid FROM near ORDER BY distance LIMIT ?)
       SELECT m.id AS id, vec_distance_cosine(vec_int8(v.embedding), vec_int8(?)) AS distance, ${TIMES}
       FROM c CROSS JOIN ${memoriesFor(filter)} ON m.pk = c.rowid CROSS JOIN ${t.blob} v ON v.memory_rowid = c.rowid
       WHERE ${f.where} ORDER BY distance NULLS LAST, m.id LIMIT ?`,
    )
    .all(...rest.params, ...knnParams, candidates, q, ...f.params, limit) as VectorHit[];
  return withPinned(rows.filter((h) => h.distance !== null));
}

const withVocab = new WeakSet<Db>();

/** SQLite's varint (1–9 bytes, big-endian, 7 bits a byte, the ninth byte whole), as FTS5 stores its counts. */
function readVarint(buf: Uint8Array, at: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[at + i]!;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) return v;
  }
  return v * 256 + buf[at + 8]!;
}

/**
 * The BM25 (FTS5's, text column, weight 1) of a memory that holds each term once at the average length: the sum
 * of the terms' IDF, log((N − df + 0.5) / (df + 0.5)), over the whole index as FTS5 scores it.
 */
export function keywordCeiling(db: Db, stmts: StatementCache, terms: string[]): number {
  if (terms.length === 0) return 0;
  // The index's averages record (id 1) starts with its row count.
  const avg = stmts.get('SELECT block FROM memories_fts_data WHERE id = 1').get() as { block: Uint8Array } | undefined;
  const n = avg ? readVarint(avg.block, 0) : 0;
  if (n === 0) return 0;
  if (!withVocab.has(db)) {
    // A temp table: per connection, nothing stored, so no migration.
    db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_fts_vocab USING fts5vocab(main, 'memories_fts', 'row')");
    withVocab.add(db);
  }
  const df = stmts.get('SELECT doc FROM temp.memories_fts_vocab WHERE term = ?');
  let sum = 0;
  for (const t of queryTokens(terms)) {
    const d = ((df.get(t) as { doc: number } | undefined)?.doc ?? 0) as number;
    sum += Math.max(1e-6, Math.log((n - d + 0.5) / (d + 0.5)));
  }
  return sum;
}
