import type { HitTimes, KeywordHit, SimilarityStats, VectorHit } from '../store/port.js';
import { compareIds } from '../util/compare-ids.js';

/** A memory to rank, with its times when the store's hit carried them. */
export interface Candidate extends HitTimes {
  id: string;
  /** 0–1, higher is better, before any recency re-rank. */
  score: number;
}

/** Best score first, ties by id: the order candidates are ranked in before any recency re-rank. */
export const byScore = (a: Candidate, b: Candidate) => b.score - a.score || compareIds(a.id, b.id);

/** A candidate for `hit` with `score`, keeping the hit's times. */
export function candidate(hit: { id: string } & HitTimes, score: number): Candidate {
  const c: Candidate = { id: hit.id, score };
  if (hit.createdMs !== undefined) c.createdMs = hit.createdMs;
  if (hit.lastAccessedMs !== undefined) c.lastAccessedMs = hit.lastAccessedMs;
  if (hit.importance !== undefined) c.importance = hit.importance;
  if (hit.pinned !== undefined) c.pinned = hit.pinned;
  return c;
}

/** Saturating map of a positive BM25 score to 0–1, stable across pages (unlike max-normalisation). */
export const keywordScore = (bm25: number) => bm25 / (bm25 + 1);

/** Cosine distance (0–2) to a 0–1 similarity. */
export const vectorScore = (distance: number) => Math.max(0, 1 - distance);

/** Fewest memories whose similarity spread is worth standardising against; below, min-max scaling is used. */
export const MIN_STANDARD_N = 16;

/** How fusion turns vector similarities into 0–1 scores (FusionProfile.standardSpan). */
export interface VectorScaling {
  /** Standardise against this spread, z / span clipped to 0–1, when given and wide enough. */
  similarity?: SimilarityStats;
  span?: number;
  /** Distances of keyword hits that are not among the vector hits: they get a vector score too. */
  extra?: Map<string, number>;
}

/** Whether fusion standardises with these figures (else it min-max scales). */
export function standardises(s: Pick<VectorScaling, 'similarity' | 'span'>): boolean {
  const st = s.similarity;
  return s.span !== undefined && st !== undefined && st.n >= MIN_STANDARD_N && st.sd > 1e-6;
}

/** The standardised scaling of `s`, or null when it does not apply. */
function standardScale(s: VectorScaling): ((sim: number) => number) | null {
  if (!standardises(s)) return null;
  const { mean, sd } = s.similarity!;
  const span = s.span!;
  return (sim) => Math.min(1, Math.max(0, (sim - mean) / sd / span));
}

/**
 * Convex combination of normalised scores: BM25 divided by the best BM25 of the query; cosine similarity either
 * standardised against how similar the query is to all the memories searched (z-score, FusionProfile.standardSpan),
 * or min-max scaled over the candidates. Unlike rank fusion it keeps how far apart scores are, so a weak
 * retriever's noise cannot outvote a confident strong one; standardising also tells a vector hit that stands out
 * from a query that resembles everything.
 */
export function fuse(
  keyword: KeywordHit[],
  vector: VectorHit[],
  alpha: number,
  keywordFloor = 0,
  scaling: VectorScaling = {},
): Candidate[] {
  const acc = new Map<string, Candidate>();
  // A best keyword hit below the floor matched little of the query: it is not scaled up to full confidence.
  const topKw = Math.max(keyword[0]?.score ?? 0, keywordFloor);
  for (const h of keyword) acc.set(h.id, candidate(h, topKw > 0 ? ((1 - alpha) * h.score) / topKw : 0));
  const standard = standardScale(scaling);
  const sims = vector.map((h) => 1 - h.distance);
  const hi = Math.max(...sims);
  const lo = Math.min(...sims);
  const scale = standard ?? ((sim: number) => (hi > lo ? (sim - lo) / (hi - lo) : 1));
  vector.forEach((h, i) => {
    const c = acc.get(h.id);
    const v = alpha * scale(sims[i]!);
    if (c) c.score += v;
    else acc.set(h.id, candidate(h, v));
  });
  if (standard && scaling.extra) {
    const inVector = new Set(vector.map((h) => h.id));
    for (const h of keyword) {
      const d = scaling.extra.get(h.id);
      if (d !== undefined && !inVector.has(h.id)) acc.get(h.id)!.score += alpha * standard(1 - d);
    }
  }
  return [...acc.values()].sort(byScore);
}

export interface RecencyWeights {
  semantic: number;
  recency: number;
  freshness: number;
  novelty: number;
  halfLifeLastAccessDays: number;
  halfLifeCreatedDays: number;
  /** Weight of the memory's importance (0–1) beside the reference's blend; 0 gives the reference's score. */
  importance: number;
}

export const DEFAULT_RECENCY: RecencyWeights = {
  semantic: 0.8,
  recency: 0.2,
  freshness: 0.6,
  novelty: 0.4,
  halfLifeLastAccessDays: 7,
  halfLifeCreatedDays: 30,
  importance: 0.1,
};

const DAY_MS = 86_400_000;
const decay = (ageMs: number, halfLifeDays: number) => 0.5 ** (Math.max(0, ageMs) / (halfLifeDays * DAY_MS));

/** A memory's importance when it has none recorded (the records' default). */
export const DEFAULT_IMPORTANCE = 0.5;

/**
 * The reference server's re-rank, relevance blended with freshness (last access, so every access reinforces) and
 * novelty (creation), then averaged with the memory's importance at weight `w.importance`:
 * (blend + w.importance x importance) / (1 + w.importance). A pinned memory never decays: its freshness and
 * novelty stay 1. Memories of equal importance keep the reference's order.
 */
export function recencyScore(
  relevance: number,
  m: { lastAccessedMs: number; createdMs: number; importance?: number; pinned?: boolean },
  now: number,
  w: RecencyWeights,
): number {
  const fresh = m.pinned ? 1 : decay(now - m.lastAccessedMs, w.halfLifeLastAccessDays);
  const novel = m.pinned ? 1 : decay(now - m.createdMs, w.halfLifeCreatedDays);
  const blend = w.semantic * relevance + w.recency * (w.freshness * fresh + w.novelty * novel);
  return (blend + w.importance * (m.importance ?? DEFAULT_IMPORTANCE)) / (1 + w.importance);
}
