import type { KeywordHit, VectorHit } from '../store/port.js';

export interface Candidate {
  id: string;
  /** 0–1, higher is better, before any recency re-rank. */
  score: number;
}

/** Saturating map of a positive BM25 score to 0–1, stable across pages (unlike max-normalisation). */
export const keywordScore = (bm25: number) => bm25 / (bm25 + 1);

/** Cosine distance (0–2) to a 0–1 similarity. */
export const vectorScore = (distance: number) => Math.max(0, 1 - distance);

/**
 * Convex combination of normalised scores: BM25 divided by the best BM25 of the query, cosine similarity min-max
 * scaled over the candidates. Unlike rank fusion it keeps how far apart scores are, so a weak retriever's noise
 * cannot outvote a confident strong one.
 */
export function fuse(keyword: KeywordHit[], vector: VectorHit[], alpha: number): Candidate[] {
  const acc = new Map<string, number>();
  const topKw = keyword[0]?.score ?? 0;
  for (const h of keyword) acc.set(h.id, topKw > 0 ? ((1 - alpha) * h.score) / topKw : 0);
  const sims = vector.map((h) => 1 - h.distance);
  const hi = Math.max(...sims);
  const lo = Math.min(...sims);
  vector.forEach((h, i) => {
    const norm = hi > lo ? (sims[i]! - lo) / (hi - lo) : 1;
    acc.set(h.id, (acc.get(h.id) ?? 0) + alpha * norm);
  });
  return [...acc.entries()]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

export interface RecencyWeights {
  semantic: number;
  recency: number;
  freshness: number;
  novelty: number;
  halfLifeLastAccessDays: number;
  halfLifeCreatedDays: number;
}

export const DEFAULT_RECENCY: RecencyWeights = {
  semantic: 0.8,
  recency: 0.2,
  freshness: 0.6,
  novelty: 0.4,
  halfLifeLastAccessDays: 7,
  halfLifeCreatedDays: 30,
};

const DAY_MS = 86_400_000;
const decay = (ageMs: number, halfLifeDays: number) => 0.5 ** (Math.max(0, ageMs) / (halfLifeDays * DAY_MS));

/** The reference server's re-rank: relevance blended with freshness (last access) and novelty (creation). */
export function recencyScore(
  relevance: number,
  times: { lastAccessedMs: number; createdMs: number },
  now: number,
  w: RecencyWeights,
): number {
  const fresh = decay(now - times.lastAccessedMs, w.halfLifeLastAccessDays);
  const novel = decay(now - times.createdMs, w.halfLifeCreatedDays);
  return w.semantic * relevance + w.recency * (w.freshness * fresh + w.novelty * novel);
}
