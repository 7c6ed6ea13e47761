import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import {
  BM25_K1,
  type Bm25Stats,
  Bm25Tally,
  bm25Ceiling,
  bm25Idf,
  bm25Score,
  queryTokens,
  TokenCounter,
} from '../bm25.js';
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
 * 10–40 tokens: 10k matches 0.07–0.14 s, 20k 0.14–0.33 s, 50k 0.6–1.0 s). Above the bound the search prunes
 * (MaxScore, see `pruned`) and stays exact when the pruned sets fit the bound; otherwise only the newest this many
 * matches are scored: their scores are still exact, and total still counts every match, but an older memory that
 * would rank in the top k is missed.
 */
export const KEYWORD_SCAN_MAX = 20_000;

/**
 * From this many matches on, MaxScore (`pruned`) is tried before scoring every match: it scores the matches of the
 * rarest tokens first (at least PRUNE_SEED_MIN of them, or 20 per hit asked for) and only then what θ cannot rule
 * out. Below it, scoring every match is as cheap.
 */
export const PRUNE_FROM = 2_000;
const PRUNE_SEED_MIN = 500;

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
  /** Above this many matches the search tries MaxScore first (PRUNE_FROM), below the scan bound too. */
  pruneFrom = PRUNE_FROM;

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
    const take = Math.max(0, Math.floor(k));
    const score = (q: string, newest?: number) => this.scoreMatches(g.index, q, tokens, stats, contextWeight, newest);
    if (matches > Math.min(this.pruneFrom, this.scanMax) && take > 0) {
      const top = await this.pruned(
        tokens,
        stats,
        take,
        score,
        (toks) => {
          const t = `@terms|context:(${toks.flatMap(textTokens).join('|')})`;
          return f.empty ? t : `(${t}) ${f.query}`;
        },
        (q) => this.memories.countQuery(g.index, q),
      );
      if (top) {
        const items = await this.withTimes(top.slice(0, take));
        return { items, total: count ? matches : items.length };
      }
    }
    const bounded = matches > this.scanMax;
    const scored = await score(query, bounded ? this.scanMax : undefined);
    scored.sort(bestFirst);
    const items = await this.withTimes(scored.slice(0, take));
    if (!count) return { items, total: items.length };
    return { items, total: bounded ? matches : scored.length };
  }

  /** Every match of `query` (or the newest `newest`) with its exact BM25 over all the query's tokens. */
  private async scoreMatches(
    index: string,
    query: string,
    tokens: string[],
    stats: Bm25Stats,
    contextWeight: number,
    newest?: number,
  ): Promise<Scored[]> {
    const counter = new TokenCounter(tokens);
    const scored: Scored[] = [];
    const rows = aggregateRows(this.client, index, query, { load: ['id', 'seq', 'terms', 'context'], newest });
    for await (const batch of rows) {
      for (const r of batch) {
        // The module may match more than the tokens do (it folds case its own way): the tokens decide.
        const counts = counter.count(r.terms ?? '', r.context ?? '');
        if (counts) scored.push({ id: r.id!, seq: Number(r.seq), score: bm25Score(counts, stats, contextWeight) });
      }
    }
    return scored;
  }

  /**
   * The exact top k without scoring every match (MaxScore): a token can add at most IDF·(k1 + 1) to a score. The
   * matches of the rarest tokens are scored first (as many tokens as their document counts fit the scan bound);
   * the k-th best score θ then rules out every memory holding only common tokens whose bounds sum below θ, so only
   * the matches of the other tokens are scored too. Null when the sets to score do not fit the bound either.
   */
  private async pruned(
    tokens: string[],
    stats: Bm25Stats,
    k: number,
    score: (query: string) => Promise<Scored[]>,
    queryOf: (tokens: string[]) => string,
    countOf: (query: string) => Promise<number>,
  ): Promise<Scored[] | null> {
    const bound = tokens.map((_, i) => bm25Idf(stats.rows, stats.dfs[i]!) * (BM25_K1 + 1));
    const order = tokens.map((_, i) => i).sort((a, b) => bound[b]! - bound[a]!);
    let seedDocs = 0;
    let seedN = 0;
    // Enough rare matches for a useful θ, and no more: every one scored costs as much as any other.
    const enough = Math.max(PRUNE_SEED_MIN, k * 20);
    for (const i of order) {
      if (seedN > 0 && (seedDocs >= enough || seedDocs + stats.dfs[i]! > this.scanMax)) break;
      seedDocs += stats.dfs[i]!;
      seedN += 1;
    }
    // The document counts are over the whole index, so the filtered matches are at most this many.
    if (seedDocs > this.scanMax || seedN === tokens.length) return null;
    const seed = await score(queryOf(order.slice(0, seedN).map((i) => tokens[i]!)));
    seed.sort(bestFirst);
    if (seed.length < k) return null;
    const theta = seed[k - 1]!.score;
    // The longest tail of weakest tokens whose bounds together stay below θ can be left out.
    let tail = 0;
    let cut = order.length;
    while (cut > 0 && tail + bound[order[cut - 1]!]! < theta) {
      tail += bound[order[cut - 1]!]!;
      cut -= 1;
    }
    if (cut <= seedN) return seed;
    const rest = order.slice(seedN, cut).map((i) => tokens[i]!);
    const restDocs = rest.reduce((n, t) => n + stats.dfs[tokens.indexOf(t)]!, 0);
    if (restDocs > this.scanMax && (await countOf(queryOf(rest))) > this.scanMax) return null;
    const seen = new Set(seed.map((h) => h.id));
    const more = (await score(queryOf(rest))).filter((h) => !seen.has(h.id));
    return [...seed, ...more].sort(bestFirst);
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
