import { invalid } from '../errors.js';
import type { StoreFilter } from '../models/filters.js';
import type { MemoryStore } from '../store/port.js';
import { inSlices } from '../util/yield.js';
import type { Deduplicator } from './dedup.js';
import { toStoreFilter } from './filters.js';
import type { RemovalKind } from './long-term.js';
import { memoryPages } from './memory-pages.js';

const STOPPED = 'stopped by shutdown; the next run goes on';

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
  /**
   * Memories looked at for near-duplicates (those changed since the last scheduled run, or all); without an LLM,
   * the memories in scope.
   */
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
 * an LLM, cohesive groups of near-duplicates within COMPACTION_DISTANCE_THRESHOLD, merged as at store time. A
 * merge keeps the oldest memory's id and creation date.
 */
export async function compactLongTermMemories(
  store: MemoryStore,
  dedup: Deduplicator,
  /** Removes memories the way every removal goes (recorded in their history). */
  remove: (ids: string[], how: RemovalKind) => Promise<number>,
  opts: CompactOptions,
  distance: number,
  /** Shutdown: compaction stops between two memories, leaving the rest to its next run. */
  signal?: AbortSignal,
): Promise<CompactionReport> {
  if (opts.namespace === '' || opts.user_id === '') throw invalid('namespace and user_id must not be empty');
  const scope = {
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(opts.user_id ? { user_id: opts.user_id } : {}),
  };
  const filter = toStoreFilter({
    ...(scope.namespace ? { namespace: { eq: scope.namespace } } : {}),
    ...(scope.user_id ? { user_id: { eq: scope.user_id } } : {}),
  });
  const report: CompactionReport = {
    scanned: 0,
    duplicates_removed: 0,
    merged_groups: 0,
    merged_memories_removed: 0,
    semantic: dedup.canMerge ? 'done' : 'skipped',
    ...(dedup.canMerge ? {} : { reason: 'no LLM is configured: near-duplicates were not merged' }),
  };
  // Exact duplicates come from the store's memory_hash index: only memories that have a twin are read, and with
  // `since` only twins of what changed. The oldest of each group stays.
  const inScope = dedup.canMerge ? 0 : await store.countMemories(filter);
  const groups = await store.duplicateGroups(scope, opts.since);
  const keep = new Map(groups.flatMap((g) => g.slice(1).map((id) => [id, g[0]!] as const)));
  if (keep.size) {
    // In slices, requests served between them: at a million memories a delete costs about a millisecond.
    await inSlices(
      [...keep.keys()],
      async (ids) => {
        report.duplicates_removed += await remove(ids, {
          action: 'merge',
          details: (r) => ({ into: keep.get(r.id), equal_text: true }),
        });
      },
      signal,
    );
    if (signal?.aborted) return { ...report, semantic: 'skipped', reason: STOPPED };
  }
  // Without a model only equal text could be found, at the price of a vector search per memory: not worth it.
  if (!dedup.canMerge) return { ...report, scanned: inScope };
  const changed: StoreFilter =
    opts.since === undefined ? filter : { ...filter, times: { ...filter.times, updated_at: { gte: opts.since } } };
  // Oldest first, as groups form around the memory that will survive them; only ids are held meanwhile.
  const ids: string[] = [];
  for await (const page of memoryPages(store, changed)) for (const r of page) ids.push(r.id);
  ids.reverse();
  const gone = new Set(keep.keys());
  for (const id of ids) {
    if (signal?.aborted) return { ...report, semantic: 'skipped', reason: STOPPED };
    report.scanned += 1;
    if (gone.has(id)) continue;
    const result = await dedup.mergeAround(id, distance, gone);
    if (!result) continue;
    for (const removed of result.removed) gone.add(removed);
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
