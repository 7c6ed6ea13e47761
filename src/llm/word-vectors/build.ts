import { createReadStream } from 'node:fs';
import { encodeWordVectors, quantizeRows, type WordVectors } from './file.js';
import { BUCKETS, wordBuckets } from './subwords.js';

/** Words kept, most frequent first: 200k covers ordinary English and common names at 20 MB. */
export const MAX_WORDS = 200_000;
/** Words whose n-grams build the subword buckets: frequent enough that their vectors are reliable. */
const SUBWORD_SOURCE_WORDS = 100_000;
/** Words the common directions are estimated from. */
const PCA_WORDS = 50_000;
/**
 * Dominant directions removed from every word vector after centring ("all-but-the-top", Mu & Viswanath 2018):
 * they encode frequency, not meaning, and make unrelated averages look alike.
 */
export const REMOVED_COMPONENTS = 2;
// The analyzer keeps only runs of letters and digits, so no other vocabulary entry can ever be looked up.
const LOOKUP_FORM = /^[a-z0-9]+$/;

interface SourceEntry {
  word: string;
  index: number;
  vector: Float32Array;
}

/**
 * Streams the wink-embeddings JSON (`{"words":[…],"vectors":{"word":[x1…xd, l2norm, index], …}}`) without
 * holding the 300 MB text or its parse tree, so building never blocks the event loop for long.
 */
async function readSource(
  path: string,
  onProgress?: (bytes: number) => void,
): Promise<{ dim: number; entries: SourceEntry[] }> {
  const entry = /"((?:[^"\\]|\\.)*)":\[([^\]]*)\],?/y;
  let dim = 0;
  let inVectors = false;
  let done = false;
  let rest = '';
  let bytes = 0;
  const entries: SourceEntry[] = [];
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<string>) {
    bytes += chunk.length;
    onProgress?.(bytes);
    if (done) continue;
    let text = rest + chunk;
    if (!inVectors) {
      const dimMatch = /"dimensions":(\d+)/.exec(text);
      if (dimMatch) dim = Number(dimMatch[1]);
      const at = text.indexOf('"vectors":{');
      if (at < 0) {
        // Keep a tail in case the marker straddles two chunks.
        rest = text.slice(-64);
        continue;
      }
      inVectors = true;
      text = text.slice(at + '"vectors":{'.length);
    }
    entry.lastIndex = 0;
    for (;;) {
      const start = entry.lastIndex;
      const m = entry.exec(text);
      if (!m) {
        if (text[start] === '}') done = true;
        rest = text.slice(start);
        break;
      }
      const raw = m[1]!;
      if (!LOOKUP_FORM.test(raw)) continue;
      const nums = m[2]!.split(',');
      const index = Number(nums[nums.length - 1]);
      if (!(index < MAX_WORDS * 1.5)) continue;
      const vector = new Float32Array(nums.length - 2);
      for (let j = 0; j < vector.length; j++) vector[j] = Number(nums[j]);
      entries.push({ word: raw, index, vector });
    }
    if (rest.length > 1 << 20)
      throw new Error('word-vector source: an entry is longer than 1 MB; is this the right file?');
  }
  if (!inVectors || dim === 0) throw new Error(`word-vector source ${path}: no "vectors" object found`);
  return { dim, entries };
}

/** Top principal directions of `rows` (n × dim, already centred) by power iteration with deflation. */
function principalDirections(rows: Float32Array, dim: number, n: number, count: number): Float64Array[] {
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    for (let i = 0; i < dim; i++) {
      const x = rows[o + i]!;
      for (let j = i; j < dim; j++) cov[i * dim + j]! += x * rows[o + j]!;
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov[i * dim + j] = cov[j * dim + i]!;
  const out: Float64Array[] = [];
  for (let c = 0; c < count; c++) {
    // A fixed start keeps the build deterministic.
    let v = new Float64Array(dim).map((_, i) => 1 + i / dim);
    for (let it = 0; it < 200; it++) {
      const w = new Float64Array(dim);
      for (let i = 0; i < dim; i++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += cov[i * dim + j]! * v[j]!;
        w[i] = s;
      }
      for (const u of out) {
        const d = w.reduce((s, x, i) => s + x * u[i]!, 0);
        for (let i = 0; i < dim; i++) w[i]! -= d * u[i]!;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      v = w.map((x) => x / norm);
    }
    out.push(v);
  }
  return out;
}

/** Builds the compact file's contents from the package's JSON. Deterministic for a given source. */
export async function buildWordVectors(sourcePath: string, onProgress?: (bytes: number) => void): Promise<Buffer> {
  const { dim, entries } = await readSource(sourcePath, onProgress);
  entries.sort((a, b) => a.index - b.index);
  const kept = entries.slice(0, MAX_WORDS);
  const n = kept.length;
  const rows = new Float32Array(n * dim);
  for (const [r, e] of kept.entries()) rows.set(e.vector.subarray(0, dim), r * dim);

  const pcaN = Math.min(n, PCA_WORDS);
  const mean = new Float64Array(dim);
  for (let r = 0; r < pcaN; r++) for (let j = 0; j < dim; j++) mean[j]! += rows[r * dim + j]! / pcaN;
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) rows[r * dim + j]! -= mean[j]!;
  for (const u of principalDirections(rows, dim, pcaN, REMOVED_COMPONENTS)) {
    for (let r = 0; r < n; r++) {
      const o = r * dim;
      let d = 0;
      for (let j = 0; j < dim; j++) d += rows[o + j]! * u[j]!;
      for (let j = 0; j < dim; j++) rows[o + j]! -= d * u[j]!;
    }
  }

  // Each bucket: the mean direction of the frequent words sharing that n-gram.
  const buckets = new Float32Array(BUCKETS * dim);
  for (let r = 0; r < Math.min(n, SUBWORD_SOURCE_WORDS); r++) {
    const word = kept[r]!.word;
    if (!/^[a-z]+$/.test(word)) continue;
    const o = r * dim;
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += rows[o + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (const b of wordBuckets(word)) for (let j = 0; j < dim; j++) buckets[b * dim + j]! += rows[o + j]! / norm;
  }
  for (let b = 0; b < BUCKETS; b++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += buckets[b * dim + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let j = 0; j < dim; j++) buckets[b * dim + j]! /= norm;
  }

  const w = quantizeRows(rows, dim);
  const bq = quantizeRows(buckets, dim);
  const file: WordVectors = {
    dimension: dim,
    words: kept.map((e) => e.word),
    wordScales: w.scales,
    wordCodes: w.codes,
    bucketScales: bq.scales,
    bucketCodes: bq.codes,
  };
  return encodeWordVectors(file);
}
