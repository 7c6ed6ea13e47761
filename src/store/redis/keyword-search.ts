import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import { type Bm25Stats, Bm25Tally, bm25Ceiling, bm25Score, queryTokens, TokenCounter } from '../bm25.js';
import type { KeywordHit, Page } from '../port.js';
import { aggregateRows } from './aggregate-cursor.js';
import type { RedisClient } from './client.js';
import { indexFilterQuery } from './filter-query.js';
import type { Keys } from './keys.js';
import type { KeywordStats } from './keyword-stats.js';
import type { MemoryRepo } from './memories.js';
import { textTokens } from './query-escape.js';
import type { SearchIndex } from './search-index.js';

export const DEFAULT_CONTEXT_WEIGHT = 0.5;

/**
 * Up to this many filtered matches, every one is fetched and scored, so the ranking is exactly the shared BM25
 * (bm25.ts). A match costs about 7–15 µs end to end (RediSearch 2.6.37 on a busy 2-core machine, memories of
 * 10–40 tokens: 10k matches 0.07–0.14 s, 20k 0.14–0.33 s, 50k 0.6–1.0 s). Above the bound only the newest this
 * many matches are scored (about 0.4 s for 100k matches): their scores are still exact, and total still counts
 * every match, but an older memory that would rank in the top k is missed.
 */
export const KEYWORD_SCAN_MAX = 20_000;

interface Scored {
  id: string;
  seq: number;
  score: number;
}

/** Best first; equal scores in insertion order, as SQLite breaks them (by row id). */
const bestFirst = (a: Scored, b: Scored) => b.score - a.score || a.seq - b.seq;

/**
 * Keyword search on Redis: the search module finds the filtered memories holding any query token (its membership
 * is exact), and each is scored here from its own `terms`/`context` and the statistics the write scripts keep.
 * The module's scorers are not used: they differ between versions, and a filter clause changes their scores
 * (2.6.37 scores every filtered hit 0; 2.10 and 8.0 score the filter's tag value as one more query term).
 */
export class KeywordSearch {
  /** KEYWORD_SCAN_MAX; tests lower it to exercise the bound. */
  scanMax = KEYWORD_SCAN_MAX;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly index: SearchIndex,
    private readonly memories: MemoryRepo,
    private readonly stats: KeywordStats,
  ) {}

  async search(
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
    const tokens = queryTokens(terms);
    const g = await this.index.current();
    if (tokens.length === 0 || !g) return { items: [], total: 0 };
    const f = await indexFilterQuery(this.client, g.index, filter);
    if (!f) return { items: [], total: 0 };
    const text = `@terms|context:(${tokens.flatMap(textTokens).join('|')})`;
    const query = f.empty ? text : `(${text}) ${f.query}`;
    const [matches, stats] = await Promise.all([
      this.memories.countQuery(g.index, query),
      this.statsFor(g.index, tokens),
    ]);
    if (matches === 0) return { items: [], total: 0 };
    const bounded = matches > this.scanMax;

    const counter = new TokenCounter(tokens);
    const scored: Scored[] = [];
    const rows = aggregateRows(this.client, g.index, query, {
      load: ['id', 'seq', 'terms', 'context'],
      newest: bounded ? this.scanMax : undefined,
    });
    for await (const batch of rows) {
      for (const r of batch) {
        // The module may match more than the tokens do (it folds case its own way): the tokens decide.
        const counts = counter.count(r.terms ?? '', r.context ?? '');
        if (counts) scored.push({ id: r.id!, seq: Number(r.seq), score: bm25Score(counts, stats, contextWeight) });
      }
    }
    scored.sort(bestFirst);
    const items = await this.withTimes(scored.slice(0, Math.max(0, Math.floor(k))));
    if (!count) return { items, total: items.length };
    return { items, total: bounded ? matches : scored.length };
  }

  /** The score of a memory holding each query token once at the average length: the sum of their IDFs. */
  async ceiling(terms: string[]): Promise<number> {
    this.index.requireSearch();
    const tokens = queryTokens(terms);
    const g = await this.index.current();
    if (tokens.length === 0 || !g) return 0;
    const stats = await this.statsFor(g.index, tokens);
    return bm25Ceiling(stats.rows, stats.dfs);
  }

  /**
   * The kept statistics; while memories written before they existed are still being counted (keyword-stats.ts),
   * the same figures from a pass over every memory, so that a search is never ranked by partial counts.
   */
  private async statsFor(index: string, tokens: string[]): Promise<Bm25Stats> {
    const kept = await this.stats.read(tokens);
    if (kept) return kept;
    const tally = new Bm25Tally(tokens);
    for await (const batch of aggregateRows(this.client, index, '*', { load: ['terms', 'context'] })) {
      for (const r of batch) tally.add(r.terms ?? '', r.context ?? '');
    }
    return tally.stats();
  }

  /** The hits with their memory times (port HitTimes); a memory deleted since it was scored is left out. */
  private async withTimes(top: Scored[]): Promise<KeywordHit[]> {
    if (top.length === 0) return [];
    const pipe = this.client.pipeline();
    for (const h of top) pipe.hmget(this.keys.memory(h.id), 'created_at', 'last_accessed', 'importance', 'pinned');
    const replies = (await pipe.exec()) ?? [];
    return top.flatMap((h, i) => {
      const [err, values] = replies[i]!;
      if (err) throw err;
      const [created, accessed, importance, pinned] = values as (string | null)[];
      if (created === null) return [];
      return [
        {
          id: h.id,
          score: h.score,
          createdMs: Number(created),
          lastAccessedMs: Number(accessed),
          importance: Number(importance),
          pinned: pinned === '1',
        },
      ];
    });
  }
}
