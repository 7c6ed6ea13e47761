import { describe, expect, it } from 'vitest';
import { DEFAULT_RECENCY, fuse, keywordScore, recencyScore, vectorScore } from '../../src/core/ranking.js';

describe('fuse', () => {
  it('keeps a confident keyword winner ahead of vector noise at a small alpha', () => {
    const kw = [
      { id: 'a', score: 12 },
      { id: 'b', score: 3 },
    ];
    const vec = [
      { id: 'c', distance: 0.5 },
      { id: 'b', distance: 0.52 },
      { id: 'a', distance: 0.9 },
    ];
    const out = fuse(kw, vec, 0.2);
    expect(out[0]!.id).toBe('a');
    expect(out.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('lets the vector ranking decide at alpha 1 and the keyword ranking at alpha 0', () => {
    const kw = [
      { id: 'a', score: 5 },
      { id: 'b', score: 1 },
    ];
    const vec = [
      { id: 'b', distance: 0.1 },
      { id: 'a', distance: 0.8 },
    ];
    expect(fuse(kw, vec, 1)[0]!.id).toBe('b');
    expect(fuse(kw, vec, 0)[0]!.id).toBe('a');
  });

  it('does not scale a weak best keyword hit up to full confidence when a floor is given', () => {
    // 'a' matched one minor word (BM25 2 of a ceiling of 20); 'b' is what the vectors find.
    const kw = [{ id: 'a', score: 2 }];
    const vec = [
      { id: 'b', distance: 0.3 },
      { id: 'a', distance: 0.7 },
    ];
    expect(fuse(kw, vec, 0.25)[0]!.id).toBe('a');
    const floored = fuse(kw, vec, 0.25, 0.7 * 20);
    expect(floored[0]!.id).toBe('b');
    expect(floored.find((c) => c.id === 'a')!.score).toBeCloseTo((0.75 * 2) / 14, 6);
    // A strong match (above the floor) keeps its full weight.
    expect(fuse([{ id: 'a', score: 18 }], vec, 0.25, 14)[0]!.id).toBe('a');
  });

  it('scores stay within 0..1 and an empty list is harmless', () => {
    const out = fuse([{ id: 'a', score: 2 }], [], 0.5);
    expect(out).toEqual([{ id: 'a', score: 0.5 }]);
    for (const c of fuse([], [{ id: 'x', distance: 0.3 }], 0.7)) expect(c.score).toBeLessThanOrEqual(1);
  });
});

describe('fuse with standardised vector scores', () => {
  const similarity = { mean: 0.3, sd: 0.1, n: 500 };

  it('scores a similarity by how far it stands above the memories searched: z / span, clipped to 0..1', () => {
    const vec = [
      { id: 'a', distance: 1 - 0.7 }, // z 4: full score
      { id: 'b', distance: 1 - 0.5 }, // z 2: half
      { id: 'c', distance: 1 - 0.2 }, // below the mean: 0
    ];
    const out = fuse([], vec, 0.4, 0, { similarity, span: 4 });
    const score = Object.fromEntries(out.map((c) => [c.id, c.score]));
    expect(score.a).toBeCloseTo(0.4, 6);
    expect(score.b).toBeCloseTo(0.2, 6);
    expect(score.c).toBe(0);
    // Min-max scaling would have given the weakest candidate 0 and the best full weight whatever the spread.
    const minmax = Object.fromEntries(fuse([], vec, 0.4).map((c) => [c.id, c.score]));
    expect(minmax.b).toBeCloseTo(0.4 * (0.3 / 0.5), 6);
  });

  it('keeps a query that resembles everything from promoting its vector hits', () => {
    // Same best similarity, but every memory is about as similar: the vector hit does not stand out.
    const kw = [{ id: 'k', score: 10 }];
    const vec = [{ id: 'v', distance: 0.4 }];
    const flat = fuse(kw, vec, 0.4, 0, { similarity: { mean: 0.55, sd: 0.05, n: 500 }, span: 4 });
    expect(flat[0]!.id).toBe('k');
    expect(flat.find((c) => c.id === 'v')!.score).toBeCloseTo(0.4 * (0.05 / 0.05 / 4), 6);
  });

  it('gives keyword hits outside the vector candidates their vector score from the extra distances', () => {
    const kw = [
      { id: 'a', score: 8 },
      { id: 'b', score: 8 },
    ];
    const vec = [{ id: 'v', distance: 0.5 }];
    const extra = new Map([['b', 1 - 0.6]]);
    const out = fuse(kw, vec, 0.4, 0, { similarity, span: 4, extra });
    expect(out[0]!.id).toBe('b');
    expect(out[0]!.score).toBeCloseTo(0.6 + 0.4 * 0.75, 6);
    expect(out.find((c) => c.id === 'a')!.score).toBeCloseTo(0.6, 6);
  });

  it('falls back to min-max scaling without a span, with too few memories or no spread', () => {
    const vec = [
      { id: 'a', distance: 0.2 },
      { id: 'b', distance: 0.6 },
    ];
    const minmax = fuse([], vec, 0.5);
    expect(fuse([], vec, 0.5, 0, { similarity })).toEqual(minmax);
    expect(fuse([], vec, 0.5, 0, { similarity: { ...similarity, n: 15 }, span: 4 })).toEqual(minmax);
    expect(fuse([], vec, 0.5, 0, { similarity: { ...similarity, sd: 0 }, span: 4 })).toEqual(minmax);
  });
});

describe('scores', () => {
  it('maps BM25 and distance monotonically into 0..1', () => {
    expect(keywordScore(0)).toBe(0);
    expect(keywordScore(10)).toBeGreaterThan(keywordScore(1));
    expect(keywordScore(1e9)).toBeLessThan(1);
    expect(vectorScore(0)).toBe(1);
    expect(vectorScore(1.5)).toBe(0);
  });

  it('recency re-rank prefers the fresher of two equally relevant memories', () => {
    const now = Date.UTC(2026, 0, 31);
    const day = 86_400_000;
    const fresh = recencyScore(0.5, { lastAccessedMs: now, createdMs: now - day }, now, DEFAULT_RECENCY);
    const stale = recencyScore(
      0.5,
      { lastAccessedMs: now - 30 * day, createdMs: now - 90 * day },
      now,
      DEFAULT_RECENCY,
    );
    expect(fresh).toBeGreaterThan(stale);
    // The reference's blend 0.8·0.5 + 0.2·(0.6·1 + 0.4·0.5^(1/30)), averaged with importance 0.5 at weight 0.1.
    const blend = 0.4 + 0.2 * (0.6 + 0.4 * 0.5 ** (1 / 30));
    expect(fresh).toBeCloseTo((blend + 0.1 * 0.5) / 1.1, 6);
    // Weight 0: the reference's score exactly.
    const reference = { ...DEFAULT_RECENCY, importance: 0 };
    expect(recencyScore(0.5, { lastAccessedMs: now, createdMs: now - day }, now, reference)).toBeCloseTo(blend, 12);
  });

  it('importance lifts a memory among equally relevant ones; equal importance keeps the reference order', () => {
    const now = Date.UTC(2026, 0, 31);
    const day = 86_400_000;
    const times = { lastAccessedMs: now - 3 * day, createdMs: now - 10 * day };
    const score = (relevance: number, importance?: number) =>
      recencyScore(relevance, { ...times, importance }, now, DEFAULT_RECENCY);
    expect(score(0.6, 0.9)).toBeGreaterThan(score(0.6, 0.5));
    expect(score(0.6)).toBe(score(0.6, 0.5));
    // A large gap in relevance is not overturned by importance alone at the default weight.
    expect(score(0.8, 0.1)).toBeGreaterThan(score(0.5, 1));
    const reference = { ...DEFAULT_RECENCY, importance: 0 };
    expect(recencyScore(0.6, { ...times, importance: 1 }, now, reference)).toBe(
      recencyScore(0.6, { ...times, importance: 0 }, now, reference),
    );
  });

  it('a pinned memory never decays', () => {
    const now = Date.UTC(2026, 0, 31);
    const old = { lastAccessedMs: now - 400 * 86_400_000, createdMs: now - 900 * 86_400_000 };
    const pinned = recencyScore(0.5, { ...old, pinned: true }, now, DEFAULT_RECENCY);
    const brandNew = recencyScore(0.5, { lastAccessedMs: now, createdMs: now }, now, DEFAULT_RECENCY);
    expect(pinned).toBeCloseTo(brandNew, 12);
    expect(recencyScore(0.5, old, now, DEFAULT_RECENCY)).toBeLessThan(pinned);
  });
});
