import { toEpochMs } from '../models/common.js';

const MAX_TAGS = 10;

/**
 * Topics or entities from a model, made valid: trimmed, commas (which the tag encoding forbids) turned into
 * spaces, at most 200 characters, no repeats, at most ten.
 */
export function cleanTags(values: unknown, lowerCase = false): string[] {
  if (!Array.isArray(values)) return [];
  const out = new Set<string>();
  for (const v of values) {
    if (typeof v !== 'string') continue;
    let t = v.replace(/,/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200).trim();
    if (lowerCase) t = t.toLowerCase();
    if (t) out.add(t);
    if (out.size >= MAX_TAGS) break;
  }
  return [...out];
}

/** A model's date ("2026-05-02", ISO, epoch) as ISO 8601, or null when it is not a date. */
export function cleanDate(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  if (typeof value === 'string' && !value.trim()) return null;
  const ms = toEpochMs(value);
  return ms === null ? null : new Date(ms).toISOString();
}
