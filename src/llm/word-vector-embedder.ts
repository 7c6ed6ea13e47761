import { words } from '../text/analyzer.js';
import { Lazy } from '../util/lazy.js';
import type { Embedder } from './embedder.js';
import { readWordVectors, type WordVectors } from './word-vectors/file.js';
import { wordBuckets } from './word-vectors/subwords.js';
import { ensureVectorFile, type VectorSource } from './word-vectors/vector-file-cache.js';

export const WORD_VECTOR_MODEL = 'offline-wordvec-v1';
export const WORD_VECTOR_DIMENSION = 100;

/**
 * SIF weight a / (a + p(w)) (Arora et al. 2017): frequent words say little about what a sentence is about. p(w)
 * comes from the word's frequency rank by Zipf's law, p(rank) = 1 / ((rank + 1) · ZIPF_NORM), since the vocabulary
 * is stored in frequency order without counts.
 */
const SIF_A = 1e-3;
const ZIPF_NORM = 13;
const zipfProbability = (rank: number) => 1 / ((rank + 1) * ZIPF_NORM);
const sifWeight = (rank: number) => SIF_A / (SIF_A + zipfProbability(rank));

/** A word outside the vocabulary is built from its n-grams: a guess, so it counts less than a known word. */
const OOV_WEIGHT = 0.5;

/**
 * Calibrated on the LoCoMo and paraphrase dev sets (docs/retrieval-quality.md). LoCoMo Recall@10 / paraphrase
 * hard first-place: 0.2 → 0.808 / 0.40, 0.25 → 0.804 / 0.40, 0.3 → 0.798 / 0.45, 0.5 → 0.66 / 0.56. 0.25 is the
 * highest weight that keeps LoCoMo above the hashed embedder's 0.802.
 */
export const WORD_VECTOR_FUSION = { alpha: 0.25, basis: 'LoCoMo dev and paraphrase dev grid 0.2-0.7' };

interface Loaded {
  vectors: WordVectors;
  index: Map<string, number>;
  /** Mean norm of word vectors, the length an n-gram guess is scaled to. */
  typicalNorm: number;
  /** Unit direction every SIF average leans towards, removed from each sentence vector. */
  common: Float64Array;
}

/**
 * The default offline embedder: SIF-weighted averages of word vectors shipped in an npm package, with their common
 * directions removed at build time and character n-gram back-off for words outside the vocabulary. It needs no key,
 * no network and no download at run time, and captures meaning that lexical search misses ("sibling" ≈ "brother").
 * The vectors load on first use (or `warmUp`), so starting a server stays fast.
 */
export class WordVectorEmbedder implements Embedder {
  readonly model = WORD_VECTOR_MODEL;
  readonly dimension = WORD_VECTOR_DIMENSION;
  readonly fusion = WORD_VECTOR_FUSION;
  readonly cheap = true;
  private readonly loaded: Lazy<Loaded>;

  constructor(
    private readonly source: VectorSource,
    private readonly dir: string,
  ) {
    this.loaded = new Lazy(() => this.load());
  }

  /** Starts loading (building once if needed) without waiting; errors surface on the next embed. */
  warmUp(): void {
    this.loaded.get().catch(() => {});
  }

  private async load(): Promise<Loaded> {
    const path = await ensureVectorFile(this.source, this.dir);
    const vectors = readWordVectors(path);
    if (vectors.dimension !== this.dimension) {
      throw new Error(`word-vector file ${path} has dimension ${vectors.dimension}, expected ${this.dimension}`);
    }
    const index = new Map<string, number>();
    for (const [i, w] of vectors.words.entries()) index.set(w, i);
    let total = 0;
    const sample = Math.min(vectors.words.length, 20_000);
    for (let r = 0; r < sample; r++) total += rowNorm(vectors.wordCodes, vectors.wordScales[r]!, r, this.dimension);
    return { vectors, index, typicalNorm: total / sample, common: commonDirection(vectors, this.dimension) };
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const loaded = await this.loaded.get();
    return texts.map((t) => this.embedOne(loaded, t));
  }

  private embedOne({ vectors, index, typicalNorm, common }: Loaded, text: string): Float32Array {
    const dim = this.dimension;
    const acc = new Float64Array(dim);
    let any = false;
    for (const word of words(text)) {
      const rank = index.get(word);
      if (rank !== undefined) {
        const w = sifWeight(rank) * vectors.wordScales[rank]!;
        const o = rank * dim;
        for (let j = 0; j < dim; j++) acc[j]! += w * vectors.wordCodes[o + j]!;
        any = true;
        continue;
      }
      const buckets = wordBuckets(word);
      const guess = new Float64Array(dim);
      for (const b of buckets) {
        const s = vectors.bucketScales[b]!;
        const o = b * dim;
        for (let j = 0; j < dim; j++) guess[j]! += s * vectors.bucketCodes[o + j]!;
      }
      const norm = Math.hypot(...guess);
      if (norm === 0) continue;
      const w = (OOV_WEIGHT * typicalNorm) / norm;
      for (let j = 0; j < dim; j++) acc[j]! += w * guess[j]!;
      any = true;
    }
    let d = 0;
    for (let j = 0; j < dim; j++) d += acc[j]! * common[j]!;
    for (let j = 0; j < dim; j++) acc[j]! -= d * common[j]!;
    const out = new Float32Array(dim);
    const norm = any ? Math.hypot(...acc) : 0;
    // Text with no words gets one fixed direction: a zero vector has no cosine.
    if (norm === 0) return out.fill(1 / Math.sqrt(dim));
    for (let j = 0; j < dim; j++) out[j] = acc[j]! / norm;
    return out;
  }
}

/** Words the common direction is estimated from (it moved paraphrase first-place 0.49 → 0.53). */
const COMMON_WORDS = 50_000;

/**
 * The expected SIF average of a text, Σ p(w)·sif(w)·v(w) over the vocabulary: the "common component" of
 * Arora et al., estimated from the vocabulary's frequency ranks instead of a corpus, so every store and every
 * corpus embeds alike.
 */
function commonDirection(v: WordVectors, dim: number): Float64Array {
  const c = new Float64Array(dim);
  const n = Math.min(v.words.length, COMMON_WORDS);
  for (let r = 0; r < n; r++) {
    const w = zipfProbability(r) * sifWeight(r) * v.wordScales[r]!;
    for (let j = 0; j < dim; j++) c[j]! += w * v.wordCodes[r * dim + j]!;
  }
  const norm = Math.hypot(...c) || 1;
  return c.map((x) => x / norm);
}

function rowNorm(codes: Int8Array, scale: number, row: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += codes[row * dim + j]! ** 2;
  return Math.sqrt(s) * scale;
}
