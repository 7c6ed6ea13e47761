import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Bm25Tally,
  bm25Ceiling,
  bm25Idf,
  bm25Score,
  indexTokens,
  queryTokens,
  tokenCounts,
} from '../../src/store/bm25.js';

/**
 * Words of several scripts: Devanagari and Tamil with vowel signs and viramas, CJK, Hangul, Greek and Cyrillic,
 * Latin with and without accents or capitals (FTS5 folds both), digits. Few enough that memories share them.
 */
const VOCAB = [
  'नमस्ते',
  'किताब',
  'हिदी',
  'வணக்கம்',
  'புத்தகம்',
  'நாடு',
  '東京',
  'タワー',
  'ελληνικα',
  'cafe',
  'pear',
  'fig',
  '42',
];

/**
 * FTS5 with the marks kept inside tokens: with the default categories ('L* N* Co') unicode61 splits words at
 * every vowel sign, which indexTokens does not. A table with content, because a contentless_delete one never
 * takes a deleted row out of its row and token totals (N and avgdl then count every row ever written).
 */
const FTS = `CREATE VIRTUAL TABLE f USING fts5 (terms, context,
  tokenize = 'unicode61 remove_diacritics 2 categories ''L* N* Co M*''')`;

const text = fc.array(fc.constantFrom(...VOCAB), { maxLength: 12 }).map((ws) => ws.join(' '));
const row = fc.record({ terms: text, context: text });
/** A corpus written in order, then some rows rewritten and some deleted, as the stores' statistics must follow. */
const corpus = fc.record({
  rows: fc.array(row, { minLength: 1, maxLength: 30 }),
  rewrites: fc.array(fc.tuple(fc.nat(), row), { maxLength: 5 }),
  deletes: fc.array(fc.nat(), { maxLength: 5 }),
  query: fc.uniqueArray(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 4 }),
  contextWeight: fc.constantFrom(0, 0.25, 0.5, 1, 3),
});

describe('bm25 (the stores’ shared keyword scoring)', () => {
  it('splits only where FTS5 unicode61 with marks as token characters does, and lower-cases', () => {
    expect(indexTokens('')).toEqual([]);
    expect(indexTokens('नमस्ते  किताब')).toEqual(['नमस्ते', 'किताब']);
    expect(indexTokens('Pear, fig.«quoted»')).toEqual(['pear', 'fig', 'quoted']);
    expect(indexTokens('Café cafe\u0301 Ελληνικά ёлка')).toEqual(['cafe', 'cafe', 'ελληνικά', 'ёлка']);
    expect(queryTokens(['pear', 'Pear fig', 'fig'])).toEqual(['pear', 'fig']);
  });

  it('floors the IDF of a token in more than half of the memories at 1e-6, as FTS5 does', () => {
    expect(bm25Idf(10, 1)).toBeCloseTo(Math.log(9.5 / 1.5), 12);
    expect(bm25Idf(10, 5)).toBe(1e-6);
    expect(bm25Idf(10, 9)).toBe(1e-6);
    expect(bm25Ceiling(0, [1])).toBe(0);
  });

  it("equals SQLite FTS5's bm25() on random corpora, filtered or not, and its IDFs give the ceiling", () => {
    fc.assert(
      fc.property(corpus, ({ rows, rewrites, deletes, query, contextWeight }) => {
        const db = new Database(':memory:');
        try {
          db.exec(FTS);
          const live = new Map<number, { terms: string; context: string }>();
          const insert = db.prepare('INSERT INTO f (rowid, terms, context) VALUES (?, ?, ?)');
          const remove = db.prepare('DELETE FROM f WHERE rowid = ?');
          rows.forEach((r, i) => {
            insert.run(i + 1, r.terms, r.context);
            live.set(i + 1, r);
          });
          for (const [at, r] of rewrites) {
            const id = (at % rows.length) + 1;
            if (!live.has(id)) continue;
            remove.run(id);
            insert.run(id, r.terms, r.context);
            live.set(id, r);
          }
          for (const at of deletes) {
            const id = (at % rows.length) + 1;
            if (live.size > 1 && live.delete(id)) remove.run(id);
          }

          const tokens = queryTokens(query);
          const tally = new Bm25Tally(tokens);
          for (const r of live.values()) tally.add(r.terms, r.context);
          const stats = tally.stats();
          const expected = new Map<number, number>();
          for (const [id, r] of live) {
            const counts = tokenCounts(tokens, r.terms, r.context);
            if (counts) expected.set(id, bm25Score(counts, stats, contextWeight));
          }

          const match = tokens.map((t) => `"${t}"`).join(' OR ');
          const got = db
            .prepare('SELECT rowid AS id, -bm25(f, 1.0, ?) AS score FROM f WHERE f MATCH ?')
            .all(contextWeight, match) as { id: number; score: number }[];
          expect(new Set(got.map((g) => g.id))).toEqual(new Set(expected.keys()));
          for (const g of got) {
            const want = expected.get(g.id)!;
            expect(Math.abs(g.score - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
          }

          // keywordCeiling: the IDFs FTS5 used, from its own document counts.
          db.exec("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')");
          const doc = db.prepare('SELECT doc FROM v WHERE term = ?');
          const dfs = tokens.map((t) => (doc.get(t) as { doc: number } | undefined)?.doc ?? 0);
          expect(dfs).toEqual(stats.dfs);
          expect(bm25Ceiling(live.size, dfs)).toBe(bm25Ceiling(stats.rows, stats.dfs));
        } finally {
          db.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
