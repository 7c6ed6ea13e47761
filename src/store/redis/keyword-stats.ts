import { randomUUID } from 'node:crypto';
import { type Bm25Stats, indexTokens } from '../bm25.js';
import type { RedisClient } from './client.js';
import { globPrefix, type Keys } from './keys.js';
import { COUNT_UNCOUNTED, MARK_COUNTED, RENEW_LOCK, RESET_STATS } from './keyword-stats-scripts.js';
import { scanKeys } from './scan.js';
import type { ScriptRunner } from './scripts.js';

/**
 * The meta `keyword_stats` value once every memory is counted. A change of the entry format or of the tokenizer
 * must bump it and reset the counts (RESET_STATS) before counting again.
 */
export const KEYWORD_STATS_VERSION = '1';
/** The build lock expires unless renewed, so a crashed builder holds up the next one for this long at most. */
const LOCK_MS = 30_000;
/** How often a process waiting for another's build looks again. */
const WAIT_POLL_MS = 50;

/** A memory's keyword index strings as stored, and its entry in the docs hash (keyword-stats-scripts.ts). */
export interface KeywordText {
  /**
   * The tokens of terms and of context (bm25.ts indexTokens), joined by single spaces: the module then splits them
   * where the statistics do, whatever punctuation the given strings held (it would keep `«word»` whole).
   */
  terms: string;
  context: string;
  /** The token count over both, then the distinct tokens. */
  entry: string;
}

export function keywordText(terms: string, context: string): KeywordText {
  const a = indexTokens(terms);
  const b = indexTokens(context);
  return { terms: a.join(' '), context: b.join(' '), entry: [a.length + b.length, ...new Set([...a, ...b])].join(' ') };
}

/**
 * The term statistics BM25 needs (bm25.ts), kept by the write scripts beside the memories: the search module
 * only finds the matches, the score is computed from these and the matches' own tokens.
 */
export class KeywordStats {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
  ) {}

  /** The keys every memory-writing script takes for the statistics, in its order. */
  get scriptKeys(): string[] {
    return [this.keys.keywordDocs, this.keys.keywordDf, this.keys.keywordTotals];
  }

  /** The statistics for `tokens` in one snapshot, or null while memories written before them are not all counted. */
  async read(tokens: readonly string[]): Promise<Bm25Stats | null> {
    const tx = this.client.multi();
    tx.hget(this.keys.meta, 'keyword_stats');
    tx.hmget(this.keys.keywordTotals, 'rows', 'tokens');
    if (tokens.length > 0) tx.hmget(this.keys.keywordDf, ...tokens);
    const replies = (await tx.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    if (replies[0]?.[1] !== KEYWORD_STATS_VERSION) return null;
    const [rows, total] = replies[1]![1] as (string | null)[];
    const dfs = tokens.length > 0 ? (replies[2]![1] as (string | null)[]).map(Number) : [];
    return { rows: Number(rows ?? 0), tokens: Number(total ?? 0), dfs };
  }

  /**
   * Makes the statistics complete: counts every memory not yet counted (a store written before they existed),
   * or waits while another process does. Safe with any number of processes and writers: counting skips what a
   * write or another builder already counted, and only the lock holder that finished a whole pass marks them
   * complete. Returns how many memories this process counted.
   */
  async ensure(): Promise<number> {
    let counted = 0;
    for (;;) {
      if ((await this.client.hget(this.keys.meta, 'keyword_stats')) === KEYWORD_STATS_VERSION) return counted;
      const token = randomUUID();
      if ((await this.client.set(this.keys.keywordBuildLock, token, 'PX', LOCK_MS, 'NX')) === 'OK') {
        const pass = await this.countAll(token);
        counted += pass.counted;
        if (pass.done) return counted;
        continue;
      }
      await this.awaitOtherBuilder();
    }
  }

  /** Forgets every count, then counts every memory again (after `rebuild-index`, or to repair the counts). */
  async rebuild(): Promise<number> {
    const k = this.keys;
    await this.scripts.run(RESET_STATS, [k.meta, k.keywordDocs, k.keywordDf, k.keywordTotals, k.keywordBuildLock], []);
    return this.ensure();
  }

  /** One pass over every memory key; `done` when it marked the statistics complete. */
  private async countAll(token: string): Promise<{ done: boolean; counted: number }> {
    const prefix = this.keys.memoryPrefix;
    let counted = 0;
    for await (const batch of scanKeys(this.client, globPrefix(prefix))) {
      const pipe = this.client.pipeline();
      for (const key of batch) pipe.hmget(key, 'terms', 'context');
      const replies = (await pipe.exec()) ?? [];
      const keys: string[] = [];
      const args: string[] = [];
      replies.forEach(([err, values], i) => {
        if (err) throw err;
        const [terms, context] = values as [string | null, string | null];
        // Gone since the scan saw it: nothing to count (a memory written again meanwhile was counted by its write).
        if (terms == null) return;
        keys.push(batch[i]!);
        args.push(batch[i]!.slice(prefix.length), keywordText(terms, context ?? '').entry);
      });
      if (keys.length > 0)
        counted += Number(await this.scripts.run(COUNT_UNCOUNTED, [...this.scriptKeys, ...keys], args));
      if (!(await this.scripts.run(RENEW_LOCK, [this.keys.keywordBuildLock], [token, LOCK_MS]))) {
        return { done: false, counted };
      }
    }
    const marked = await this.scripts.run(
      MARK_COUNTED,
      [this.keys.meta, this.keys.keywordBuildLock],
      [token, KEYWORD_STATS_VERSION],
    );
    return { done: Number(marked) === 1, counted };
  }

  /** Until the statistics are complete or the builder's lock is gone (finished, reset or crashed). */
  private async awaitOtherBuilder(): Promise<void> {
    for (;;) {
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      const [marked, locked] = await Promise.all([
        this.client.hget(this.keys.meta, 'keyword_stats'),
        this.client.exists(this.keys.keywordBuildLock),
      ]);
      if (marked === KEYWORD_STATS_VERSION || locked === 0) return;
    }
  }
}
