import type { SimilarityStats } from './port.js';

/** Count, sum and sum of squares of the cosine distances of some memories to a query (SQL aggregates may be null). */
export interface DistanceSums {
  n: number | null;
  s1: number | null;
  s2: number | null;
}

/** The similarity figures of those distances; undefined for none. Similarity is 1 − distance: same spread. */
export function similarityFromSums(d: DistanceSums): SimilarityStats | undefined {
  const n = d.n ?? 0;
  if (n === 0) return undefined;
  const mean = (d.s1 ?? 0) / n;
  const sd = Math.sqrt(Math.max(0, (d.s2 ?? 0) / n - mean * mean));
  return { mean: 1 - mean, sd, n };
}

export function sumsOf(distances: number[]): DistanceSums {
  let s1 = 0;
  let s2 = 0;
  for (const d of distances) {
    s1 += d;
    s2 += d * d;
  }
  return { n: distances.length, s1, s2 };
}
