import { MemoryError } from '../../errors.js';

/** A view on the vector's bytes (no copy): SQLite copies the blob when binding. */
export const toBlob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Copies, since a Buffer from SQLite may sit at an offset that is not 4-byte aligned. */
export function fromBlob(blob: Uint8Array): Float32Array {
  const bytes = new Uint8Array(blob.byteLength);
  bytes.set(blob);
  return new Float32Array(bytes.buffer);
}

/**
 * A vector as stored: one signed byte per component, scaled so the largest magnitude is 127, and that scale. Cosine
 * distance ignores the scale, so sqlite-vec compares the bytes alone (vec_int8); the scale restores the vector's
 * length when it is read back. A quarter of the float bytes, at a cosine error of about 1e-3: recall@10 against
 * float distances 0.987 on uniformly random 612-dimension vectors (the hardest case: all distances alike), 0.997
 * on clustered ones (test/store/sqlite-compact.test.ts).
 */
export interface Quantized {
  bytes: Buffer;
  scale: number;
}

export function quantize(v: Float32Array): Quantized {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const bytes = Buffer.alloc(v.length);
  if (!(max > 0) || !Number.isFinite(max)) return { bytes, scale: 0 };
  const k = 127 / max;
  for (let i = 0; i < v.length; i++) bytes.writeInt8(Math.round(v[i]! * k), i);
  return { bytes, scale: max / 127 };
}

export function dequantize(bytes: Uint8Array, scale: number): Float32Array {
  const out = new Float32Array(bytes.byteLength);
  const signed = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = signed[i]! * scale;
  return out;
}

/** `v` as it is stored: what search compares a query with, so the query is quantized too. */
export function asStored(v: Float32Array): Float32Array {
  const q = quantize(v);
  return dequantize(q.bytes, q.scale);
}

/** A quantized vector in one blob (the embedding cache): the scale as a float32, then the bytes. */
export function packVector(v: Float32Array): Buffer {
  const { bytes, scale } = quantize(v);
  const out = Buffer.alloc(4 + bytes.length);
  out.writeFloatLE(scale, 0);
  bytes.copy(out, 4);
  return out;
}

export function unpackVector(blob: Uint8Array): Float32Array {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  return dequantize(buf.subarray(4), buf.readFloatLE(0));
}

export function msOf(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new MemoryError('invalid', `${field} is not a valid date-time: ${JSON.stringify(iso)}`);
  return ms;
}

export const msOrNull = (iso: string | null | undefined, field: string): number | null =>
  iso == null ? null : msOf(iso, field);

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms == null ? null : iso(ms));

export const json = (value: unknown): string => JSON.stringify(value);
export const parseJson = <T>(text: string): T => JSON.parse(text) as T;
