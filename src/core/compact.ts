import { invalid } from '../errors.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { MemoryStore } from '../store/port.js';
import type { Deduplicator } from './dedup.js';
import { toStoreFilter } from './filters.js';
import type { RemovalKind } from './long-term.js';
import { memoryPages } from './memory-pages.js';

export interface CompactOptions {
  namespace?: string | null;
  user_id?: string | null;
  /**
   * Epoch ms: only memories written since then are checked for near-duplicates (against all others). The
   * schedule passes its previous run's start, so a periodic pass costs what changed, not the whole store.
   */
  since?: number;
}

export interface CompactionReport {
  /** Memories looked at. */
  scanned: number;
  /** Exact duplicates (same memory_hash, or the same text) deleted; the oldest copy is kept. */
  duplicates_removed: number;
  /** Groups of near-duplicates merged into one memory each. */
  merged_groups: number;
  /** Memories deleted because they were merged into another. */
  merged_memories_removed: number;
  /** `skipped` with a reason when no LLM is configured: only exact duplicates were removed. */
  semantic: 'done' | 'skipped';
  reason?: string;
}

/**
 * Compaction: first memories with equal memory_hash (left behind by imports or `deduplicate: false`), then, with
 * an LLM, cohesive groups of near-duplicates within COMPACTION_DISTANCE_THRESHOLD, merged as at store time.
 * Oldest memories go first, so a merge keeps the original id and creation date.
 */
export async function compactLongTermMemories(
  store: MemoryStore,
  dedup: Deduplicator,
  /** Removes memories the way every removal goes (recorded in their history). */
  remove: (ids: string[], how: RemovalKind) => Promise<number>,
  opts: CompactOptions,
  distance: number,
): Promise<CompactionReport> {
  if (opts.namespace === '' || opts.user_id === '') throw invalid('namespace and user_id must not be empty');
  const filter = toStoreFilter({
    ...(opts.namespace ? { namespace: { eq: opts.namespace } } : {}),
    ...(opts.user_id ? { user_id: { eq: opts.user_id } } : {}),
  });
  const all: MemoryRecord[] = [];
  for await (const page of memoryPages(store, filter)) all.push(...page);
  all.reverse();

  const report: CompactionReport = {
    scanned: all.length,
    duplicates_removed: 0,
    merged_groups: 0,
    merged_memories_removed: 0,
    semantic: dedup.canMerge ? 'done' : 'skipped',
    ...(dedup.canMerge ? {} : { reason: 'no LLM is configured: near-duplicates were not merged' }),
  };
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const r of all) {
    if (seen.has(r.memory_hash)) duplicates.push(r.id);
    else seen.set(r.memory_hash, r.id);
  }
  if (duplicates.length) {
    report.duplicates_removed += await remove(duplicates, {
      action: 'merge',
      details: (r) => ({ into: seen.get(r.memory_hash), equal_text: true }),
    });
  }

  // Without a model only equal text could be found, at the price of a vector search per memory: not worth it.
  if (!dedup.canMerge) return report;
  const gone = new Set(duplicates);
  for (const r of all) {
    if (gone.has(r.id)) continue;
    if (opts.since !== undefined && Date.parse(r.updated_at) < opts.since) continue;
    const result = await dedup.mergeAround(r.id, distance, gone);
    if (!result) continue;
    for (const id of result.removed) gone.add(id);
    gone.add(result.id);
    if (result.kind === 'equal') {
      report.duplicates_removed += result.removed.length;
    } else {
      report.merged_groups += 1;
      report.merged_memories_removed += result.removed.length;
    }
  }
  return report;
}
