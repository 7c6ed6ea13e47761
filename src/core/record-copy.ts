import { invalid } from '../errors.js';
import { toEpochMs } from '../models/common.js';
import type { MemoryRecord, MemoryRecordPatch, MemoryRecordPatchBody } from '../models/memory-record.js';

/** Fields the server sets once: a PATCH may carry them only unchanged. */
const FIXED = [
  'id',
  'created_at',
  'extraction_strategy',
  'extraction_strategy_config',
  'extracted_from',
  'discrete_memory_extracted',
] as const;

/**
 * Fields the server keeps up to date (or that only describe a search hit): a client's copy is stale by nature (the
 * hash of the old text, the access count of its GET), so they are taken as read-only and named back to the caller.
 */
const MAINTAINED = [
  'updated_at',
  'last_accessed',
  'access_count',
  'memory_hash',
  'persisted_at',
  'dist',
  'score',
  'score_type',
] as const;

const same = (a: unknown, b: unknown): boolean => {
  if (typeof a === 'string' && typeof b === 'string' && a !== b) {
    const [x, y] = [toEpochMs(a), toEpochMs(b)];
    if (x !== null && y !== null && /\d{4}-\d\d-\d\d/.test(a)) return x === y;
  }
  return JSON.stringify(a) === JSON.stringify(b);
};

/**
 * Splits a PATCH body into the edit and the read-only fields it carried. A fixed field that differs from the stored
 * memory is refused with a 400 naming it, so a client that meant to change it learns that it cannot.
 */
export function patchFromCopy(
  body: MemoryRecordPatchBody,
  stored: MemoryRecord,
): { patch: MemoryRecordPatch; readOnly: string[] } {
  const patch: Record<string, unknown> = { ...body };
  for (const field of FIXED) {
    if (!(field in body)) continue;
    const sent = body[field];
    const have = field === 'created_at' && typeof sent === 'number' ? toEpochMs(stored.created_at) : stored[field];
    if (!same(sent, have)) {
      throw invalid(
        `${field}: set by the server and cannot be changed by a PATCH (sent ${JSON.stringify(sent)}, stored ` +
          `${JSON.stringify(stored[field])}); leave it out or send it unchanged.`,
      );
    }
    delete patch[field];
  }
  const readOnly: string[] = [];
  for (const field of MAINTAINED) {
    if (field in body) readOnly.push(field);
    delete patch[field];
  }
  return { patch: patch as MemoryRecordPatch, readOnly };
}
