import { MemoryError } from '../../errors.js';

/** A view on the vector's bytes (no copy): SQLite copies the blob when binding. */
export const toBlob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Copies, since a Buffer from SQLite may sit at an offset that is not 4-byte aligned. */
export function fromBlob(blob: Uint8Array): Float32Array {
  const bytes = new Uint8Array(blob.byteLength);
  bytes.set(blob);
  return new Float32Array(bytes.buffer);
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
