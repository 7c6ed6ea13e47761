import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import { compareIds } from '../../util/compare-ids.js';
import { cosineDistance } from '../../util/cosine.js';
import {
  type KeywordHit,
  type Page,
  SIMILARITY_EXACT_MAX,
  type SimilarityStats,
  type VectorHit,
  type VectorPage,
} from '../port.js';
import { similarityFromSums, sumsOf } from '../similarity.js';
import type { RedisClient } from './client.js';
import { indexFilterQuery } from './filter-query.js';
import type { Keys } from './keys.js';
import type { MemoryRepo } from './memories.js';
import { isZeroVector, vectorBytes, vectorFromBytes } from './memory-fields.js';
import { textTokens } from './query-escape.js';
import type { SearchIndex } from './search-index.js';
import { rowsOf, type SearchRow } from './search-reply.js';

/** Distances this close are a tie: the index and the exact field may round the same distance apart. */
const TIE_EPSILON = 1e-6;
/** At most this many memories within the tied distance are read to settle a tie at the k-th place. */
const TIE_SCAN_MAX = 10_000;

export const DEFAULT_CONTEXT_WEIGHT = 0.5;

/**
 * Matches every memory without scoring or offsets: the negation of a tag value no memory has (pinned is 0 or 1).
 * RediSearch gives it a virtual result, which adds nothing to BM25 and has no term positions.
 */
const EVERY_MEMORY = '-@pinned:{none}';

/**
 * The keyword query: an OR of the tokens over `terms`, plus the same over `context` weighted by `contextWeight`.
 * RediSearch applies a `$weight` only to a union or intersection node, never to a lone term, so one token is
 * written twice (`t|t`, which scores twice) under half the weight.
 *
 * The shape keeps the score the text's BM25 alone, whatever the filter, on every RediSearch version:
 * - The filter is intersected with EVERY_MEMORY under weight 0, so it is an intersection node whose weight
 *   applies (a lone tag clause is a term node, whose weight RediSearch 2.6 ignores: it would add its own IDF).
 * - RediSearch 2.6's BM25 divides the score by the "slop" of the root node: the distance between the term
 *   positions of its children. Tag matches have no positions, and a child without them counts as far from the
 *   text (at the text's first position plus one), so a filter next to the text at the root would shrink scores.
 *   The root is therefore EVERY_MEMORY and one node holding text and filter: only one child with positions,
 *   slop 1, the same as without a filter (and the same for a memory whose `terms` and `context` match different
 *   words far apart, which the plain union root used to divide by their distance).
 * The parenthesised group must come second: the parser flattens a left-hand intersection into its parent.
 */
export function keywordQuery(tokens: string[], filter: string | null, contextWeight: number): string {
  const any = tokens.join('|');
  const context =
    tokens.length === 1
      ? `((@context:(${any}|${any}))=>{$weight: ${contextWeight / 2};})`
      : `((@context:(${any}))=>{$weight: ${contextWeight};})`;
  const text = `((@terms:(${any})) | ${context})`;
  if (filter === null) return `${EVERY_MEMORY} (${text})`;
  return `${EVERY_MEMORY} (${text} ((${filter} ${EVERY_MEMORY})=>{$weight: 0;}))`;
}

// Hits carry the memory's times (port HitTimes), so recency ranking needs no record fetch.
const RETURN_TIMES = ['RETURN', 4, 'created_at', 'last_accessed', 'importance', 'pinned'] as const;
const RETURN_DIST_TIMES = ['RETURN', 5, 'dist', 'created_at', 'last_accessed', 'importance', 'pinned'] as const;
const times = (r: SearchRow) => ({
  createdMs: Number(r.fields.created_at),
  lastAccessedMs: Number(r.fields.last_accessed),
  importance: Number(r.fields.importance),
  pinned: r.fields.pinned === '1',
});

const byScoreThenId = (a: KeywordHit, b: KeywordHit) => b.score - a.score || compareIds(a.id, b.id);
const byDistanceThenId = (a: VectorHit, b: VectorHit) => a.distance - b.distance || compareIds(a.id, b.id);

export class Search {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly index: SearchIndex,
    private readonly memories: MemoryRepo,
  ) {}

  async keyword(
    terms: string[],
    filter: StoreFilter,
    k: number,
    contextWeight = DEFAULT_CONTEXT_WEIGHT,
    count = true,
  ): Promise<Page<KeywordHit>> {
    this.index.requireSearch();
    if (!Number.isFinite(contextWeight) || contextWeight < 0) {
      throw new MemoryError('invalid', `contextWeight must be a number of at least 0, got ${contextWeight}`);
    }
    const tokens = [...new Set(terms.flatMap(textTokens))];
    const g = await this.index.current();
    if (tokens.length === 0 || !g) return { items: [], total: 0 };
    const f = await indexFilterQuery(this.client, g.index, filter);
    if (!f) return { items: [], total: 0 };
    const query = keywordQuery(tokens, f.empty ? null : f.query, contextWeight);
    const reply = (await this.client.call(
      'FT.SEARCH',
      g.index,
      query,
      'WITHSCORES',
      ...RETURN_TIMES,
      'VERBATIM',
      'SCORER',
      this.index.scorer ?? 'BM25',
      'LIMIT',
      0,
      Math.max(0, Math.floor(k)),
      'DIALECT',
      2,
    )) as unknown[];
    const { total, rows } = rowsOf(reply, this.keys.memoryPrefix, true);
    const items = rows.map((r) => ({ id: r.id, score: r.score, ...times(r) })).sort(byScoreThenId);
    // The total comes with the reply anyway; `count: false` only promises the number of hits.
    return { items, total: count ? total : items.length };
  }

  /**
   * Σ over the terms of RediSearch's BM25 IDF, log(1 + (N − df + 0.5) / (df + 0.5)): the score of a memory holding
   * each term once at the average length. df is counted per term on the text field, N from the index.
   */
  async ceiling(terms: string[]): Promise<number> {
    this.index.requireSearch();
    const tokens = [...new Set(terms.flatMap(textTokens))];
    const g = await this.index.current();
    if (tokens.length === 0 || !g) return 0;
    const count = (query: string) => this.memories.countQuery(g.index, query);
    const [n, ...dfs] = await Promise.all([count(EVERY_MEMORY), ...tokens.map((t) => count(`@terms:(${t})`))]);
    if (!n) return 0;
    return dfs.reduce((sum, df) => sum + Math.log(1 + (n - df + 0.5) / (df + 0.5)), 0);
  }

  /**
   * KNN (HNSW) with the filter applied before the nearest are chosen (RediSearch hybrid query); with
   * `maxDistance`, an exact range query (FLAT), whose reply total is the count within the distance. Zero vectors
   * have no direction and are never hits.
   */
  async vector(
    query: Float32Array,
    filter: StoreFilter,
    k: number,
    maxDistance?: number,
    withSimilarity = false,
  ): Promise<VectorPage> {
    this.index.requireSearch();
    const g = await this.index.current();
    if (!g) return { items: [], total: 0 };
    if (query.length !== g.dim) {
      throw new MemoryError(
        'invalid',
        `vector has dimension ${query.length}, but this database stores dimension ${g.dim}`,
      );
    }
    const f = await indexFilterQuery(this.client, g.index, filter);
    if (!f) return { items: [], total: 0 };
    const limit = Math.max(0, Math.floor(k));
    const zero = isZeroVector(query);
    if (maxDistance === undefined) {
      const total = await this.memories.countQuery(g.index, f.query);
      if (zero) return { items: [], total };
      const similarity = withSimilarity ? await this.similarity(g, query, f, total) : undefined;
      if (limit === 0) return { items: [], total, ...(similarity ? { similarity } : {}) };
      // One more than asked tells whether the k-th place is tied with the next.
      const knn = `(${f.query})=>[KNN ${limit + 1} @${g.field} $B AS dist]`;
      let items = this.hits(await this.nearest(g.index, knn, ['B', vectorBytes(query)], limit + 1));
      const kth = items[limit - 1];
      if (kth && items[limit] && items[limit]!.distance - kth.distance <= TIE_EPSILON) {
        // A tie across the cut: which of the tied memories make the page is settled by id over all of them, as
        // every store does, not by the index's arbitrary order.
        items = await this.withinDistance(g, query, f, kth.distance + TIE_EPSILON);
      }
      return { items: items.slice(0, limit), total, ...(similarity ? { similarity } : {}) };
    }
    if (zero) return { items: [], total: 0 };
    const reply = await this.range(g, query, f, maxDistance, limit);
    return { items: this.hits(reply), total: Number(reply[0]) };
  }

  /**
   * Over every filtered memory, from an exact range query that returns only distances, when they are at most
   * SIMILARITY_EXACT_MAX; above that none yet (hybrid search then min-max scales the vector scores).
   */
  private async similarity(
    g: { exactField: string; index: string },
    query: Float32Array,
    f: { query: string; empty: boolean },
    total: number,
  ): Promise<SimilarityStats | undefined> {
    if (total === 0 || total > SIMILARITY_EXACT_MAX) return undefined;
    // Cosine distances lie in [0, 2]: a radius beyond 2 keeps every memory with a vector.
    const range = `@${g.exactField}:[VECTOR_RANGE 3 $B]=>{$YIELD_DISTANCE_AS: dist}`;
    const reply = (await this.client.call(
      'FT.SEARCH',
      g.index,
      f.empty ? range : `(${range}) ${f.query}`,
      'PARAMS',
      2,
      'B',
      vectorBytes(query),
      'RETURN',
      1,
      'dist',
      'LIMIT',
      0,
      SIMILARITY_EXACT_MAX,
      'DIALECT',
      2,
    )) as unknown[];
    const ds = rowsOf(reply, this.keys.memoryPrefix, false).rows.map((r) => Number(r.fields.dist));
    return similarityFromSums(sumsOf(ds));
  }

  /** Cosine distances computed here from the stored vectors (zero vectors have none, as in RediSearch). */
  async distances(query: Float32Array, ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const g = await this.index.current();
    if (!g || ids.length === 0 || isZeroVector(query)) return out;
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hgetBuffer(this.keys.memory(id), g.field);
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, value], i) => {
      if (err || !(value instanceof Buffer) || value.byteLength !== query.length * 4) return;
      const v = vectorFromBytes(value);
      if (!isZeroVector(v)) out.set(ids[i]!, cosineDistance(query, v));
    });
    return out;
  }

  /** Every filtered memory within `radius` of the query, nearest first, ties by id (exact distances). */
  private async withinDistance(
    g: { exactField: string; index: string },
    query: Float32Array,
    f: { query: string; empty: boolean },
    radius: number,
  ): Promise<VectorHit[]> {
    return this.hits(await this.range(g, query, f, radius, TIE_SCAN_MAX));
  }

  /** The reply of an exact range query: filtered memories within `radius`, nearest first, at most `limit`. */
  private async range(
    g: { exactField: string; index: string },
    query: Float32Array,
    f: { query: string; empty: boolean },
    radius: number,
    limit: number,
  ): Promise<unknown[]> {
    const range = `@${g.exactField}:[VECTOR_RANGE $R $B]=>{$YIELD_DISTANCE_AS: dist}`;
    const params = ['R', String(radius), 'B', vectorBytes(query)];
    return this.nearest(g.index, f.empty ? range : `(${range}) ${f.query}`, params, limit);
  }

  /** A vector query's hits nearest first, with their distances and times, at most `limit`. */
  private async nearest(index: string, query: string, params: (string | Buffer)[], limit: number): Promise<unknown[]> {
    return (await this.client.call(
      'FT.SEARCH',
      index,
      query,
      'PARAMS',
      params.length,
      ...params,
      'SORTBY',
      'dist',
      ...RETURN_DIST_TIMES,
      'LIMIT',
      0,
      limit,
      'DIALECT',
      2,
    )) as unknown[];
  }

  private hits(reply: unknown[]): VectorHit[] {
    return rowsOf(reply, this.keys.memoryPrefix, false)
      .rows.map((r) => ({ id: r.id, distance: Number(r.fields.dist), ...times(r) }))
      .sort(byDistanceThenId);
  }
}
