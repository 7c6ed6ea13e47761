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
    // 0.8·0.5 + 0.2·(0.6·1 + 0.4·0.5^(1/30))
    expect(fresh).toBeCloseTo(0.4 + 0.2 * (0.6 + 0.4 * 0.5 ** (1 / 30)), 6);
  });
});
