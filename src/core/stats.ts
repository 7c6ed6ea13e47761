import { describeZodIssues, invalid } from '../errors.js';
import type { Embedder } from '../llm/embedder.js';
import { type MemoryStats, StatsRequest } from '../models/users.js';
import type { MemoryStore } from '../store/port.js';

/** Counts by namespace, user, type and pin; sessions and messages; storage; the embedding model in use. */
export async function memoryStats(
  store: MemoryStore,
  embedder: Embedder,
  retentionDays: number,
  raw: unknown,
): Promise<MemoryStats> {
  const r = StatsRequest.safeParse(raw ?? {});
  if (!r.success) throw invalid(describeZodIssues(r.error.issues));
  const c = await store.counts(r.data);
  return {
    namespace: r.data.namespace ?? null,
    user_id: r.data.user_id ?? null,
    long_term_memories: c.memories,
    by_namespace: c.by_namespace,
    by_user: c.by_user,
    by_memory_type: c.by_memory_type,
    pinned: c.pinned,
    oldest_memory_at: c.oldest,
    newest_memory_at: c.newest,
    working_memory_sessions: c.sessions,
    messages: c.messages,
    storage_bytes: c.storage_bytes,
    store: store.kind,
    embedding_model: embedder.model,
    embedding_dimension: embedder.dimension,
    activity_retention_days: retentionDays,
  };
}
