import { beforeEach, expect, it } from 'vitest';
import { fuse } from '../../../src/core/ranking.js';
import type { StoreFilter } from '../../../src/models/filters.js';
import { Bm25Tally, bm25Ceiling, bm25Score, queryTokens, tokenCounts } from '../../../src/store/bm25.js';
import type { IndexedMemory, KeywordHit, VectorHit } from '../../../src/store/port.js';
import { compareIds } from '../../../src/util/compare-ids.js';
import { cosineDistance } from '../../../src/util/cosine.js';
import { DIM, filter, mem, noFilter, unitVector } from '../records.js';
import type { StoreContext } from './context.js';

/**
 * Ranking parity (issue 13): every store's keyword ranking must be the shared BM25 (src/store/bm25.ts, FTS5's
 * formula) over the same statistics, so each store is checked against values computed here from the corpus
 * alone, not against another store. Scores may differ by floating-point rounding only.
 */
const KEYWORD_TOLERANCE = 1e-9;
/** Fused scores carry vector similarities, which the stores compute in single precision (about 1e-7). */
const HYBRID_TOLERANCE = 1e-6;

type Row = [namespace: string, user: string | null, terms: string, context: string];

/**
 * Varied lengths, repeated terms, context text, several namespaces and users, and words of several scripts:
 * Devanagari and Tamil with vowel signs and viramas (combining marks), CJK and Hangul, accented Latin.
 */
const CORPUS: Row[] = [
  ['alpha', 'u1', 'apple orchard harvest', 'autumn'],
  ['alpha', 'u1', 'apple apple cider press', ''],
  ['alpha', 'u2', 'cider', 'apple orchard'],
  ['alpine', 'u2', 'orchard walk autumn leaves fall quietly under grey skies', 'apple'],
  ['alpine', null, 'harvest festival', 'orchard apple cider'],
  ['beta', 'u1', 'apple', ''],
  ['beta', 'u2', 'press release about cider tax and apple prices in the valley', 'news'],
  ['beta', null, 'café crème brûlée', 'dessert'],
  ['alpha', 'u1', 'café au lait', 'crème'],
  ['alpine', 'u1', 'ñandú über café', ''],
  ['alpha', 'u2', 'नमस्ते किताब', 'पुस्तक'],
  ['alpha', 'u2', 'किताब किताब पुस्तकालय', ''],
  ['beta', 'u1', 'हिंदी किताब दोस्त भारत', 'नमस्ते'],
  ['alpine', 'u2', 'भारत', 'किताब'],
  ['alpha', null, 'வணக்கம் புத்தகம்', 'தமிழ்'],
  ['beta', 'u2', 'புத்தகம் நாடு நாடு', 'கோயில்'],
  ['alpine', 'u1', 'தமிழ் நாடு கோயில் புத்தகம் வணக்கம்', ''],
  ['alpha', 'u1', '東京 タワー', '観光'],
  ['beta', 'u1', '東京 図書館 北京', 'タワー'],
  ['alpine', 'u2', '北京 咖啡 咖啡', '東京'],
  ['beta', null, '서울 도서관 東京', ''],
  ['alpha', 'u2', 'apple किताब 東京 புத்தகம் café', 'harvest'],
  ['beta', 'u1', 'unrelated words only here', 'nothing else'],
  ['alpine', null, 'more filler text about weather', ''],
  ['alpha', 'u1', 'weather report rain', 'cloud'],
  ['beta', 'u2', 'long memory about many things the orchard the cider the harvest and the apple trees again', ''],
  ['alpine', 'u1', '', 'apple orchard'],
  ['alpha', null, 'समाचार', 'नमस्ते भारत'],
];

/** One query: its terms (already analysed words) and, when not the default, the context weight. */
const QUERIES: { terms: string[]; contextWeight?: number }[] = [
  { terms: ['apple'] },
  { terms: ['apple', 'cider'] },
  { terms: ['orchard'], contextWeight: 2 },
  { terms: ['orchard', 'harvest'], contextWeight: 0 },
  { terms: ['किताब'] },
  { terms: ['नमस्ते', 'भारत'] },
  { terms: ['புத்தகம்', 'நாடு'] },
  { terms: ['東京', 'タワー'] },
  { terms: ['café', 'crème'] },
  { terms: ['apple', 'किताब', '図書館', 'தமிழ்'] },
  { terms: ['unmatched'] },
];

interface Case {
  name: string;
  filter: StoreFilter;
  keeps: (row: Row) => boolean;
}

const CASES: Case[] = [
  { name: 'no filter', filter: noFilter(), keeps: () => true },
  { name: 'namespace eq', filter: filter({ namespace: { eq: 'alpha' } }), keeps: (r) => r[0] === 'alpha' },
  { name: 'user_id eq', filter: filter({ user_id: { eq: 'u2' } }), keeps: (r) => r[1] === 'u2' },
  {
    name: 'namespace startswith and user',
    filter: filter({ namespace: { startswith: 'alp' }, user_id: { eq: 'u1' } }),
    keeps: (r) => r[0].startsWith('alp') && r[1] === 'u1',
  },
];

const idOf = (i: number) => `parity-${String(i).padStart(2, '0')}`;

/** A fixed direction per memory, and one for the query, none of them equal. */
const vectorOf = (i: number) => unitVector(Array.from({ length: DIM }, (_, d) => Math.sin(1 + i * 1.7 + d * 0.9)));
const QUERY_VECTOR = unitVector(Array.from({ length: DIM }, (_, d) => Math.cos(d * 1.3)));

interface RefHit {
  id: string;
  score: number;
}

/** The corpus as stored: a memory's row at its insertion index, or undefined once deleted. */
type Stored = readonly (Row | undefined)[];

/**
 * The shared BM25 over every stored memory (statistics never depend on the filter), filtered matches best first,
 * equal scores in insertion order.
 */
function referenceKeyword(terms: string[], keeps: Case['keeps'], contextWeight: number, rows: Stored = CORPUS) {
  const tokens = queryTokens(terms);
  const tally = new Bm25Tally(tokens);
  for (const row of rows) if (row) tally.add(row[2], row[3]);
  const stats = tally.stats();
  const hits: (RefHit & { at: number })[] = [];
  rows.forEach((row, at) => {
    const counts = row && tokenCounts(tokens, row[2], row[3]);
    if (counts && keeps(row)) hits.push({ id: idOf(at), score: bm25Score(counts, stats, contextWeight), at });
  });
  return hits.sort((a, b) => b.score - a.score || a.at - b.at).map(({ id, score }): RefHit => ({ id, score }));
}

function referenceCeiling(terms: string[]): number {
  const tally = new Bm25Tally(queryTokens(terms));
  for (const [, , t, c] of CORPUS) tally.add(t, c);
  return bm25Ceiling(tally.rows, tally.dfs);
}

const indexed = (row: Row, at: number): IndexedMemory =>
  mem({ id: idOf(at), namespace: row[0], user_id: row[1], terms: row[2], contextTerms: row[3], vector: vectorOf(at) });

/** Exact nearest filtered memories, ties by id, as every store orders them. */
function referenceVector(keeps: Case['keeps'], k: number, stored: StoreContext['stored']): VectorHit[] {
  const query = stored(QUERY_VECTOR);
  return CORPUS.flatMap((row, at) =>
    keeps(row) ? [{ id: idOf(at), distance: cosineDistance(query, stored(vectorOf(at))) }] : [],
  )
    .sort((a, b) => a.distance - b.distance || compareIds(a.id, b.id))
    .slice(0, k);
}

const close = (a: number, b: number, tolerance: number) =>
  Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * `got` is the reference's top hits: the same ids in the same order, except that memories whose reference
 * scores are equal within the tolerance (a tie) may come in either order; each score within the tolerance.
 */
function expectSameRanking(
  got: { id: string; score: number }[],
  want: RefHit[],
  k: number,
  label: string,
  tolerance = KEYWORD_TOLERANCE,
): void {
  const byId = new Map(want.map((h) => [h.id, h.score]));
  expect(got.length, `${label}: hits`).toBe(Math.min(k, want.length));
  expect(new Set(got.map((h) => h.id)).size, `${label}: distinct hits`).toBe(got.length);
  got.forEach((h, i) => {
    const ref = byId.get(h.id);
    expect(ref, `${label}: ${h.id} at ${i} is not a match`).toBeDefined();
    expect(close(h.score, ref!, tolerance), `${label}: ${h.id} scores ${h.score}, reference ${ref}`).toBe(true);
    expect(
      close(ref!, want[i]!.score, tolerance),
      `${label}: at ${i} ${h.id} where the reference has ${want[i]!.id}`,
    ).toBe(true);
  });
}

export function parityBehaviour(ctx: StoreContext): void {
  beforeEach(async () => {
    await ctx.store.putMemories(CORPUS.map(indexed), { deduplicate: false });
  });

  it('ranks the same after memories are rewritten and deleted: the statistics follow every write', async () => {
    const rows: (Row | undefined)[] = [...CORPUS];
    const rewrites: [number, Row][] = [
      [1, ['alpha', 'u1', 'cider', 'apple apple apple']],
      [6, ['beta', 'u2', 'short', '']],
      [12, ['beta', 'u1', 'किताब', '']],
    ];
    for (const [at, row] of rewrites) rows[at] = row;
    await ctx.store.putMemories(
      rewrites.map(([at, row]) => indexed(row, at)),
      { deduplicate: false },
    );
    for (const at of [0, 25]) rows[at] = undefined;
    expect(await ctx.store.deleteMemories([idOf(0), idOf(25)])).toBe(2);
    for (const c of CASES) {
      for (const q of QUERIES) {
        const contextWeight = q.contextWeight ?? 0.5;
        const label = `after writes: ${c.name}, ${q.terms.join(' ')}, weight ${contextWeight}`;
        const opts = q.contextWeight === undefined ? undefined : { contextWeight };
        const page = await ctx.store.keywordSearch(q.terms, c.filter, 100, opts);
        const want = referenceKeyword(q.terms, c.keeps, contextWeight, rows);
        expectSameRanking(page.items, want, 100, label);
      }
    }
  });

  it('ranks keyword hits exactly as the shared BM25 over the corpus, filtered or not', async () => {
    for (const c of CASES) {
      for (const q of QUERIES) {
        const contextWeight = q.contextWeight ?? 0.5;
        const want = referenceKeyword(q.terms, c.keeps, contextWeight);
        for (const k of [3, 100]) {
          const label = `${c.name}, ${q.terms.join(' ')}, weight ${contextWeight}, k ${k}`;
          const opts = q.contextWeight === undefined ? undefined : { contextWeight };
          const page = await ctx.store.keywordSearch(q.terms, c.filter, k, opts);
          expectSameRanking(page.items, want, k, label);
          expect(page.total, `${label}: total`).toBe(want.length);
        }
      }
    }
  });

  it('gives the keyword ceiling from the same IDFs', async () => {
    for (const q of QUERIES) {
      const want = referenceCeiling(q.terms);
      expect(close(await ctx.store.keywordCeiling(q.terms), want, KEYWORD_TOLERANCE), q.terms.join(' ')).toBe(true);
    }
  });

  it('fuses keyword and vector hits into the same hybrid top k, filtered or not', async () => {
    const depth = 10;
    const alpha = 0.5;
    for (const c of CASES) {
      for (const q of QUERIES) {
        const label = `${c.name}, ${q.terms.join(' ')}`;
        const [kw, vec, ceiling] = await Promise.all([
          ctx.store.keywordSearch(q.terms, c.filter, depth),
          ctx.store.vectorSearch(QUERY_VECTOR, c.filter, depth),
          ctx.store.keywordCeiling(q.terms),
        ]);
        const refKw: KeywordHit[] = referenceKeyword(q.terms, c.keeps, 0.5).slice(0, depth);
        const refVec = referenceVector(c.keeps, depth, ctx.stored);
        expect(
          vec.items.map((h) => h.id),
          `${label}: vector hits`,
        ).toEqual(refVec.map((h) => h.id));
        // The floor the engine puts under the best keyword score (core/long-term.ts, KEYWORD_FLOOR x ceiling).
        const got = fuse(kw.items, vec.items, alpha, 0.7 * ceiling);
        const want = fuse(refKw, refVec, alpha, 0.7 * referenceCeiling(q.terms));
        expectSameRanking(got.slice(0, depth), want, depth, `${label}: hybrid`, HYBRID_TOLERANCE);
      }
    }
  });
}
