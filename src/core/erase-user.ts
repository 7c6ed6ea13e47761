import { describeZodIssues, invalid } from '../errors.js';
import type { Embedder } from '../llm/embedder.js';
import { type EraseReport, EraseUserRequest } from '../models/users.js';
import type { MemoryStore } from '../store/port.js';
import type { ActivityLog } from './activity.js';

/**
 * Erases a user: their sessions, memories, activity and tasks, the cached vectors of their memories' texts, and the
 * summary-view partition summaries that may hold them.
 * One event stays in the activity stream, naming the user id and the counts (no text), so an operator can show
 * the erasure happened.
 */
export async function eraseUser(
  store: MemoryStore,
  embedder: Embedder,
  activity: ActivityLog,
  raw: unknown,
  /** What else holds the user's data outside the store's own erase (summary views' partition summaries). */
  eraseDerived: (
    userId: string,
    namespace: string | undefined,
  ) => Promise<{
    summary_views: number;
    summary_partitions: number;
  }> = async () => ({ summary_views: 0, summary_partitions: 0 }),
): Promise<EraseReport> {
  const r = EraseUserRequest.safeParse(raw);
  if (!r.success) throw invalid(describeZodIssues(r.error.issues));
  const { user_id, namespace } = r.data;
  const { hashes, ...stored } = await store.eraseUser(user_id, namespace);
  const counts = { ...stored, ...(await eraseDerived(user_id, namespace)) };
  embedder.forget?.(hashes);
  await activity.record([
    {
      action: 'erase',
      resource: 'user',
      target_id: user_id,
      namespace: namespace ?? null,
      user_id: null,
      session_id: null,
      before: null,
      after: null,
      details: { ...counts },
    },
  ]);
  return { user_id, namespace: namespace ?? null, ...counts };
}
