import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import { compareIds } from '../../util/compare-ids.js';
import { cosineDistance } from '../../util/cosine.js';
import { SIMILARITY_EXACT_MAX, type SimilarityStats, type VectorHit, type VectorPage } from '../port.js';
import { similarityFromSums, sumsOf } from '../similarity.js';
import type { RedisClient } from './client.js';
import { indexFilterQuery } from './filter-query.js';
import type { Keys } from './keys.js';
import type { MemoryRepo } from './memories.js';
import { isZeroVector, vectorBytes, vectorFromBytes } from './memory-fields.js';
import type { SearchIndex } from './search-index.js';
import { rowsOf, type SearchRow } from './search-reply.js';

/** Distances this close are a tie: the index and the exact field may round the same distance apart. */
const TIE_EPSILON = 1e-6;
/** At most this many memories within the tied distance are read to settle a tie at the k-th place. */
const TIE_SCAN_MAX = 10_000;

// Hits carry the memory's times (port HitTimes), so recency ranking needs no record fetch.
const RETURN_DIST_TIMES = ['RETURN', 5, 'dist', 'created_at', 'last_accessed', 'importance', 'pinned'] as const;
const times = (r: SearchRow) => ({
  createdMs: Number(r.fields.created_at),
  lastAccessedMs: Number(r.fields.last_accessed),
  importance: Number(r.fields.importance),
  pinned: r.fields.pinned === '1',
});

const byDistanceThenId = (a: VectorHit, b: VectorHit) => a.distance - b.distance || compareIds(a.id, b.id);

export class Search {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly index: SearchIndex,
    private readonly memories: MemoryRepo,
  ) {}

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
