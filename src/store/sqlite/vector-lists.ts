/**
 * The approximate vector index of a large SQLite store: an inverted file (IVF) of the binary codes. The vectors are
 * split into up to MAX_LISTS lists by a two-level spherical k-means, trained on a sample; each code row
 * sits in the vec0 partition of its list, written in the same transaction as the vector, so the index is as
 * consistent as the table it lives in, for every connection and process. A search probes the lists whose centroids
 * are nearest the query until they hold a share of the memories (`probeLists`), runs the Hamming KNN in those
 * partitions only, and rescores the candidates exactly, as the brute-force path does.
 *
 * Two levels: a vector's list is found with PARENTS + about lists/PARENTS dot products instead of one per list
 * (about 10 µs a write at 256 dimensions), and a query ranks the children of its nearest parents only. The number
 * of lists follows the store's size when they are trained (`listPlan`), up to MAX_LISTS.
 */

import { dotAt } from '../../util/cosine.js';
import { prng } from '../../util/prng.js';

export const PARENTS = 32;
export const MAX_LISTS = 1024;
/** Rows a list holds when trained: vec0 partitions are read in chunks of 128 rows (vectors.ts LISTED_CHUNK). */
const ROWS_PER_LIST = 128;
/** Training sample per list. */
const SAMPLE_PER_LIST = 32;
const ITERATIONS = 8;

/** How many lists to train for a store of `memories`, and how many vectors to train them on. */
export function listPlan(memories: number): { lists: number; sample: number } {
  const lists = Math.max(PARENTS, Math.min(MAX_LISTS, Math.round(memories / ROWS_PER_LIST)));
  return { lists, sample: Math.min(memories, lists * SAMPLE_PER_LIST) };
}

export interface TrainedLists {
  dim: number;
  /** PARENTS unit centroids, row after row. */
  parents: Float32Array;
  /** Unit centroids of the lists, row after row. */
  lists: Float32Array;
  /** The parent of each list. */
  listParent: Int32Array;
  /** The share of the training sample in each list: its expected share of the memories. */
  share: Float64Array;
}

export interface ListModel extends TrainedLists {
  /** Which training this is (the meta value that names it). */
  version: string;
  /** The lists of each parent. */
  byParent: number[][];
  parentShare: Float64Array;
}

export function modelOf(version: string, t: TrainedLists): ListModel {
  const parentCount = t.parents.length / t.dim;
  const byParent: number[][] = Array.from({ length: parentCount }, () => []);
  const parentShare = new Float64Array(parentCount);
  for (let l = 0; l < t.listParent.length; l++) {
    byParent[t.listParent[l]!]!.push(l);
    parentShare[t.listParent[l]!]! += t.share[l]!;
  }
  return { ...t, version, byParent, parentShare };
}

const dot = (rows: Float32Array, row: number, v: Float32Array, dim: number) => dotAt(rows, row * dim, v);

function best(rows: Float32Array, candidates: readonly number[] | number, v: Float32Array, dim: number): number {
  let arg = -1;
  let top = Number.NEGATIVE_INFINITY;
  const n = typeof candidates === 'number' ? candidates : candidates.length;
  for (let i = 0; i < n; i++) {
    const r = typeof candidates === 'number' ? i : candidates[i]!;
    const d = dot(rows, r, v, dim);
    if (d > top) {
      top = d;
      arg = r;
    }
  }
  return arg;
}

/** The list of vector `v` (any length; only its direction counts). */
export function listOf(m: ListModel, v: Float32Array): number {
  const p = best(m.parents, m.parents.length / m.dim, v, m.dim);
  return best(m.lists, m.byParent[p]!, v, m.dim);
}

/**
 * The lists to search for `query`, nearest centroid first, until they are expected to hold `share` of the memories:
 * the children of the parents nearest the query (as many parents as hold three times that share, at least four) are
 * ranked together, so a query near a boundary between parents probes both sides.
 */
export function probeLists(m: ListModel, query: Float32Array, share: number): number[] {
  const parentCount = m.parents.length / m.dim;
  const parents = Array.from({ length: parentCount }, (_, p) => ({ p, d: dot(m.parents, p, query, m.dim) }));
  parents.sort((a, b) => b.d - a.d);
  const ranked: { l: number; d: number }[] = [];
  let covered = 0;
  for (let i = 0; i < parents.length && (i < 4 || covered < 3 * share); i++) {
    const p = parents[i]!.p;
    covered += m.parentShare[p]!;
    for (const l of m.byParent[p]!) ranked.push({ l, d: dot(m.lists, l, query, m.dim) });
  }
  ranked.sort((a, b) => b.d - a.d);
  const out: number[] = [];
  let held = 0;
  for (const { l } of ranked) {
    if (held >= share && out.length > 0) break;
    out.push(l);
    held += m.share[l]!;
  }
  return out;
}

/**
 * Spherical k-means of the unit rows `members` of `rows` into at most `k` centroids: seeds picked at random,
 * ITERATIONS rounds of assignment and normalised means; a centroid left with no member keeps its place.
 */
function kmeans(
  rows: Float32Array,
  dim: number,
  members: Int32Array,
  k: number,
  random: () => number,
): { centroids: Float32Array; assignment: Int32Array; count: number } {
  const n = members.length;
  const count = Math.max(1, Math.min(k, n));
  const centroids = new Float32Array(count * dim);
  // Distinct seeds: a partial Fisher-Yates shuffle of the members.
  const order = Int32Array.from(members);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
    centroids.set(rows.subarray(order[i]! * dim, order[i]! * dim + dim), i * dim);
  }
  const assignment = new Int32Array(n);
  const sums = new Float64Array(count * dim);
  const sizes = new Int32Array(count);
  for (let it = 0; it < ITERATIONS; it++) {
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const r = members[i]!;
      const row = rows.subarray(r * dim, r * dim + dim);
      const c = best(centroids, count, row, dim);
      assignment[i] = c;
      sizes[c]!++;
      for (let j = 0; j < dim; j++) sums[c * dim + j]! += row[j]!;
    }
    for (let c = 0; c < count; c++) {
      if (sizes[c] === 0) continue;
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += sums[c * dim + j]! ** 2;
      norm = Math.sqrt(norm);
      if (!(norm > 0)) continue;
      for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j]! / norm;
    }
  }
  return { centroids, assignment, count };
}

/** Trains about `count` lists on `n` unit vectors of `dim` components, row after row. */
export function trainLists(rows: Float32Array, dim: number, count: number, seed = 1): TrainedLists {
  const n = rows.length / dim;
  const random = prng(seed);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const top = kmeans(rows, dim, all, PARENTS, random);
  const members: number[][] = Array.from({ length: top.count }, () => []);
  for (let i = 0; i < n; i++) members[top.assignment[i]!]!.push(i);

  const lists: Float32Array[] = [];
  const listParent: number[] = [];
  const sizes: number[] = [];
  for (let p = 0; p < top.count; p++) {
    const mine = Int32Array.from(members[p]!);
    if (mine.length === 0) {
      // A parent with no member still needs a list, so every vector has one to go to.
      lists.push(top.centroids.slice(p * dim, p * dim + dim));
      listParent.push(p);
      sizes.push(0);
      continue;
    }
    // Each parent's share of the lists follows its share of the sample.
    const sub = kmeans(rows, dim, mine, Math.max(1, Math.round((count * mine.length) / n)), random);
    const counts = new Int32Array(sub.count);
    for (const c of sub.assignment) counts[c]!++;
    for (let c = 0; c < sub.count; c++) {
      lists.push(sub.centroids.slice(c * dim, c * dim + dim));
      listParent.push(p);
      sizes.push(counts[c]!);
    }
  }
  const packed = new Float32Array(lists.length * dim);
  for (const [i, l] of lists.entries()) packed.set(l, i * dim);
  // An empty list is still expected to hold a little: probing it costs next to nothing.
  const share = Float64Array.from(sizes, (s) => Math.max(s, 0.5) / Math.max(1, n));
  return { dim, parents: top.centroids, lists: packed, listParent: Int32Array.from(listParent), share };
}
