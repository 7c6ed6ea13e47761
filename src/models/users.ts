import { z } from 'zod';
import { Identifier } from './common.js';

/** DELETE /v1/users/{user_id}: erase in one namespace, or (unconfined callers) in all. */
export const EraseUserRequest = z.strictObject({
  user_id: Identifier,
  namespace: Identifier.optional().describe('Erase only in this namespace (default: every namespace).'),
});
export type EraseUserRequest = z.input<typeof EraseUserRequest>;

export const EraseReport = z
  .object({
    user_id: z.string(),
    namespace: z.string().nullable().describe('The namespace erased in; null for every namespace.'),
    sessions: z.number().int().describe('Working-memory sessions deleted, with all their messages.'),
    memories: z.number().int().describe('Long-term memories deleted.'),
    activity_events: z.number().int().describe('Activity events and memory-history entries deleted.'),
    tasks: z.number().int().describe('Background tasks about this user deleted, pending ones included.'),
    cached_embeddings: z.number().int().describe("Cached vectors of this user's memory texts deleted."),
    summary_views: z.number().int().describe('Summary views pinned to this user (their filters name them) deleted.'),
    summary_partitions: z
      .number()
      .int()
      .describe(
        'Stored summary-view partition summaries that may hold their memories deleted (a run recomputes them).',
      ),
  })
  .meta({ id: 'EraseReport' });
export type EraseReport = z.infer<typeof EraseReport>;

/** GET /v1/stats and memory_stats: a namespace and/or user, or the whole store (unconfined callers). */
export const StatsRequest = z.strictObject({
  namespace: Identifier.optional(),
  user_id: Identifier.optional(),
});

export const MemoryStats = z
  .object({
    namespace: z.string().nullable().describe('The namespace counted; null means all namespaces.'),
    user_id: z.string().nullable().describe('The user counted; null means all users.'),
    long_term_memories: z.number().int(),
    by_namespace: z.record(z.string(), z.number().int()).describe('Memories per namespace ("(none)" for none).'),
    by_user: z.record(z.string(), z.number().int()).describe('Memories per user ("(none)" for none).'),
    by_memory_type: z.record(z.string(), z.number().int()),
    pinned: z.number().int(),
    oldest_memory_at: z.string().nullable(),
    newest_memory_at: z.string().nullable(),
    working_memory_sessions: z.number().int(),
    messages: z.number().int().describe('Messages in those sessions, not counting those summarized away.'),
    storage_bytes: z
      .number()
      .int()
      .nullable()
      .describe('What the whole store takes: the SQLite file and its log, or the Redis keys of this store.'),
    store: z.string(),
    embedding_model: z.string(),
    embedding_dimension: z.number().int(),
    activity_retention_days: z.number().describe('How long activity and history are kept; 0 keeps them all.'),
  })
  .meta({ id: 'MemoryStats' });
export type MemoryStats = z.infer<typeof MemoryStats>;
