import { readFileSync } from 'node:fs';

/**
 * The compact word-vector file the offline semantic embedder loads: built once from the npm package's 300 MB
 * JSON (see build.ts), then read in milliseconds at each start.
 *
 * Layout, little-endian:
 *   8 bytes magic, u32 dimension, u32 words, u32 buckets, u32 vocabulary bytes,
 *   vocabulary (UTF-8, words joined by "\n", in frequency order; padded to 4 bytes),
 *   f32 scale per word, i8 × dimension per word (row-quantised: component = i8 × scale),
 *   f32 scale per bucket, i8 × dimension per bucket (character n-gram vectors for words outside the vocabulary).
 */
export const MAGIC = 'AMWVEC01';
const HEADER_BYTES = 8 + 4 * 4;

export interface WordVectors {
  dimension: number;
  /** Words in frequency order: a word's index is its frequency rank. */
  words: string[];
  wordScales: Float32Array;
  wordCodes: Int8Array;
  bucketScales: Float32Array;
  bucketCodes: Int8Array;
}

/** Row-quantises `rows` (each `dimension` long) to i8 with one f32 scale per row. */
export function quantizeRows(rows: Float32Array, dimension: number): { scales: Float32Array; codes: Int8Array } {
  const n = rows.length / dimension;
  const scales = new Float32Array(n);
  const codes = new Int8Array(rows.length);
  for (let r = 0; r < n; r++) {
    let max = 0;
    for (let j = 0; j < dimension; j++) max = Math.max(max, Math.abs(rows[r * dimension + j]!));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let j = 0; j < dimension; j++) codes[r * dimension + j] = Math.round(rows[r * dimension + j]! / scale);
  }
  return { scales, codes };
}

export function encodeWordVectors(v: WordVectors): Buffer {
  const vocab = Buffer.from(v.words.join('\n'), 'utf8');
  const vocabPadded = Math.ceil(vocab.length / 4) * 4;
  const n = v.words.length;
  const b = v.bucketScales.length;
  const size = HEADER_BYTES + vocabPadded + n * 4 + n * v.dimension + b * 4 + b * v.dimension;
  const out = Buffer.alloc(size);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(v.dimension, 8);
  out.writeUInt32LE(n, 12);
  out.writeUInt32LE(b, 16);
  out.writeUInt32LE(vocab.length, 20);
  let at = HEADER_BYTES;
  vocab.copy(out, at);
  at += vocabPadded;
  for (const part of [v.wordScales, v.wordCodes, v.bucketScales, v.bucketCodes]) {
    Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(out, at);
    at += part.byteLength;
  }
  return out;
}

export function decodeWordVectors(buf: Buffer): WordVectors {
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new Error('not a word-vector file (bad magic)');
  }
  const dimension = buf.readUInt32LE(8);
  const n = buf.readUInt32LE(12);
  const b = buf.readUInt32LE(16);
  const vocabBytes = buf.readUInt32LE(20);
  const vocabPadded = Math.ceil(vocabBytes / 4) * 4;
  const expected = HEADER_BYTES + vocabPadded + n * 4 + n * dimension + b * 4 + b * dimension;
  if (buf.length !== expected) throw new Error(`word-vector file is ${buf.length} bytes, expected ${expected}`);
  const words = buf.toString('utf8', HEADER_BYTES, HEADER_BYTES + vocabBytes).split('\n');
  if (words.length !== n) throw new Error(`word-vector file lists ${words.length} words, header says ${n}`);
  // Copies into aligned typed arrays: Buffer slices of a file read need not be 4-byte aligned.
  let at = HEADER_BYTES + vocabPadded;
  const take = <T>(bytes: number, make: (ab: ArrayBuffer) => T): T => {
    const ab = new ArrayBuffer(bytes);
    new Uint8Array(ab).set(buf.subarray(at, at + bytes));
    at += bytes;
    return make(ab);
  };
  const wordScales = take(n * 4, (ab) => new Float32Array(ab));
  const wordCodes = take(n * dimension, (ab) => new Int8Array(ab));
  const bucketScales = take(b * 4, (ab) => new Float32Array(ab));
  const bucketCodes = take(b * dimension, (ab) => new Int8Array(ab));
  return { dimension, words, wordScales, wordCodes, bucketScales, bucketCodes };
}

export function readWordVectors(path: string): WordVectors {
  return decodeWordVectors(readFileSync(path));
}
