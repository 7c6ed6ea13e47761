/**
 * Keyword relevance as SQLite's FTS5 `bm25(memories_fts, 1.0, contextWeight)` computes it, written once so that
 * every store ranks by the same numbers (an engine's own text scorer differs between versions and is swayed by
 * filter clauses). A store supplies the term statistics: how many memories it holds, how many tokens they hold
 * over both columns, and per query token how many memories contain it in either column.
 *
 * FTS5's definition (fts5_aux.c): per query phrase i, IDF_i = ln((N − n_i + 0.5) / (n_i + 0.5)), floored at
 * 1e-6; f_i = Σ over the phrase's occurrences in the row of the weight of the column it occurs in; D = the row's
 * token count over all columns (unweighted); avgdl = all tokens / N; score = Σ_i IDF_i · f_i(k1 + 1) /
 * (f_i + k1(1 − b + b·D/avgdl)). FTS5 returns it negated; here higher is better.
 */

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;
/** FTS5's floor for terms in more than half of the memories, whose IDF would otherwise be zero or negative. */
export const BM25_IDF_FLOOR = 1e-6;

/**
 * Anything but letters, numbers, marks and private-use characters separates tokens. Marks must stay inside
 * tokens: Devanagari and Tamil vowel signs and viramas are marks, and splitting at them would break words into
 * letters that other words share.
 */
const SEPARATOR = /[^\p{L}\p{N}\p{M}\p{Co}]+/u;

/** Text that is already tokens (what the core writes, in its common case): lower-case ASCII words and spaces. */
const PLAIN = /^[a-z0-9 ]*$/;
/** Combining diacritics on a Latin letter, which FTS5's `remove_diacritics 2` drops (and on no other script). */
const LATIN_DIACRITICS = /(\p{Script=Latin})[\u0300-\u036f]+/gu;

/** "café" and "cafe" are one token, as in FTS5; a token without Latin diacritics is left as it is, byte for byte. */
function foldLatin(token: string): string {
  const decomposed = token.normalize('NFD');
  const folded = decomposed.replace(LATIN_DIACRITICS, '$1');
  return folded === decomposed ? token : folded.normalize('NFC');
}

/**
 * The tokens of an indexed string (IndexedMemory.terms / contextTerms, already analysed by the core): what a
 * store's full-text index must see as the words of the text, and what the statistics are counted over. The
 * same as SQLite's unicode61 tokenizer with `remove_diacritics 2` and marks as token characters.
 */
export function indexTokens(text: string): string[] {
  if (text === '') return [];
  // Splitting on spaces alone is several times faster than the Unicode pattern, and a search tokenizes every match.
  if (PLAIN.test(text)) return text.split(' ').filter((t) => t !== '');
  return text
    .toLowerCase()
    .split(SEPARATOR)
    .filter((t) => t !== '')
    .map(foldLatin);
}

/**
 * The distinct tokens of the query terms, first seen first: an OR of them, each scored once. The core's terms
 * are single tokens; a term of several (never from the analyser) is a phrase to FTS5, here just its tokens.
 */
export function queryTokens(terms: readonly string[]): string[] {
  return [...new Set(terms.flatMap(indexTokens))];
}

/** FTS5's IDF of a token held by `df` of `rows` memories. */
export function bm25Idf(rows: number, df: number): number {
  const idf = Math.log((rows - df + 0.5) / (df + 0.5));
  return idf > 0 ? idf : BM25_IDF_FLOOR;
}

/**
 * The score of a memory holding each query token once at the average length (port keywordCeiling): there the
 * BM25 fraction is 1, so the score is the sum of the IDFs.
 */
export function bm25Ceiling(rows: number, dfs: readonly number[]): number {
  if (rows <= 0) return 0;
  return dfs.reduce((sum, df) => sum + bm25Idf(rows, df), 0);
}

/** One memory as BM25 sees it for one query: per query token, its count in each column; and its length. */
export interface TokenCounts {
  inTerms: number[];
  inContext: number[];
  /** Tokens in both columns. */
  length: number;
}

/** Counts one query's tokens in memories' index strings. */
export class TokenCounter {
  private readonly at: Map<string, number>;

  constructor(readonly query: readonly string[]) {
    this.at = new Map(query.map((t, i) => [t, i]));
  }

  /** The counts in one memory; null when it holds no query token (it does not match). */
  count(terms: string, context: string): TokenCounts | null {
    const inTerms = new Array<number>(this.query.length).fill(0);
    const inContext = new Array<number>(this.query.length).fill(0);
    const a = this.tally(indexTokens(terms), inTerms);
    const b = this.tally(indexTokens(context), inContext);
    return a.matched || b.matched ? { inTerms, inContext, length: a.length + b.length } : null;
  }

  private tally(tokens: string[], into: number[]): { matched: boolean; length: number } {
    let matched = false;
    for (const t of tokens) {
      const i = this.at.get(t);
      if (i === undefined) continue;
      into[i]! += 1;
      matched = true;
    }
    return { matched, length: tokens.length };
  }
}

/** TokenCounter.count for a single memory. */
export const tokenCounts = (query: readonly string[], terms: string, context: string): TokenCounts | null =>
  new TokenCounter(query).count(terms, context);

/** What the score of one memory needs from the whole index. */
export interface Bm25Stats {
  /** Memories in the index. */
  rows: number;
  /** Tokens of every memory over both columns. */
  tokens: number;
  /** Per query token, the memories holding it in either column. */
  dfs: readonly number[];
}

/** The BM25 of one memory, `counts` made by tokenCounts for the same query tokens as `stats.dfs`. */
export function bm25Score(counts: TokenCounts, stats: Bm25Stats, contextWeight: number): number {
  if (stats.rows <= 0) return 0;
  const avgdl = stats.tokens / stats.rows;
  // avgdl is 0 only when every memory is empty, and then nothing matches: guard the division anyway.
  const norm = BM25_K1 * (1 - BM25_B + (avgdl > 0 ? (BM25_B * counts.length) / avgdl : 0));
  let score = 0;
  stats.dfs.forEach((df, i) => {
    const f = counts.inTerms[i]! + contextWeight * counts.inContext[i]!;
    score += bm25Idf(stats.rows, df) * ((f * (BM25_K1 + 1)) / (f + norm));
  });
  return score;
}

/** Term statistics summed over memories one at a time (a full pass: tests, and stores rebuilding them). */
export class Bm25Tally {
  rows = 0;
  tokens = 0;
  readonly dfs: number[];
  private readonly at: Map<string, number>;

  constructor(readonly query: readonly string[]) {
    this.dfs = new Array<number>(query.length).fill(0);
    this.at = new Map(query.map((t, i) => [t, i]));
  }

  add(terms: string, context: string): void {
    const a = indexTokens(terms);
    const b = indexTokens(context);
    this.rows += 1;
    this.tokens += a.length + b.length;
    for (const t of new Set([...a, ...b])) {
      const i = this.at.get(t);
      if (i !== undefined) this.dfs[i]! += 1;
    }
  }

  stats(): Bm25Stats {
    return { rows: this.rows, tokens: this.tokens, dfs: this.dfs };
  }
}
