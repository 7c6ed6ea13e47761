import { describeZodIssues, invalid } from '../errors.js';
import type { Embedder } from '../llm/embedder.js';
import { type EraseReport, EraseUserRequest } from '../models/users.js';
import type { MemoryStore } from '../store/port.js';
import type { ActivityLog } from './activity.js';

/**
 * Erases a user: their sessions, memories, activity and tasks, and the cached vectors of their memories' texts.
 * One event stays in the activity stream, naming the user id and the counts (no text), so an operator can show
 * the erasure happened.
 */
export async function eraseUser(
  store: MemoryStore,
  embedder: Embedder,
  activity: ActivityLog,
  raw: unknown,
): Promise<EraseReport> {
  const r = EraseUserRequest.safeParse(raw);
  if (!r.success) throw invalid(describeZodIssues(r.error.issues));
  const { user_id, namespace } = r.data;
  const { hashes, ...counts } = await store.eraseUser(user_id, namespace);
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
