import { describeZodIssues, invalid } from '../errors.js';
import { ForgetBody, type ForgetPolicy, type ForgetReport, ForgetScope } from '../models/forget.js';
import type { MemoryRecord, MemoryType } from '../models/memory-record.js';
import type { MemoryStore } from '../store/port.js';
import { compareIds } from '../util/compare-ids.js';
import { inSlices } from '../util/yield.js';
import { toStoreFilter } from './filters.js';
import { memoryPages } from './memory-pages.js';
import { type RecencyWeights, recencyScore } from './ranking.js';

const DAY_MS = 86_400_000;
export const DEFAULT_HARD_AGE_MULTIPLIER = 12;

/** What selection needs of a memory; the scan keeps only this, so a large store costs little memory. */
export interface ForgetCandidate {
  id: string;
  memory_type: MemoryType;
  pinned: boolean;
  createdMs: number;
  lastAccessedMs: number;
}

/** A budget keeps the memories used most recently and created most recently, as the reference server ranks them. */
const BUDGET_WEIGHTS: RecencyWeights = {
  semantic: 0,
  recency: 1,
  freshness: 0.6,
  novelty: 0.4,
  halfLifeLastAccessDays: 7,
  halfLifeCreatedDays: 30,
  importance: 0,
};

/**
 * The ids the policy forgets, oldest first. Pinned memories (flag or `pinnedIds`) and types outside the allowlist
 * are never forgotten. With both max_age_days and max_inactive_days, a memory goes when it is older than the first
 * AND idle longer than the second, or older than max_age_days x hard_age_multiplier; with one of them, when it
 * exceeds that one. Of the memories still kept and eligible, a budget keeps the `budget` best by recency score
 * (ties: newer, then smaller id) and forgets the rest.
 */
export function selectForForgetting(
  candidates: ForgetCandidate[],
  policy: ForgetPolicy,
  now: number,
  pinnedIds: ReadonlySet<string> = new Set(),
): string[] {
  const allow = policy.memory_type_allowlist ? new Set(policy.memory_type_allowlist) : null;
  const maxAge = policy.max_age_days ?? undefined;
  const maxIdle = policy.max_inactive_days ?? undefined;
  const hard = policy.hard_age_multiplier ?? DEFAULT_HARD_AGE_MULTIPLIER;
  const forgotten: ForgetCandidate[] = [];
  const kept: ForgetCandidate[] = [];
  for (const m of candidates) {
    if (m.pinned || pinnedIds.has(m.id) || (allow && !allow.has(m.memory_type))) continue;
    const age = (now - m.createdMs) / DAY_MS;
    const idle = (now - m.lastAccessedMs) / DAY_MS;
    const goes =
      maxAge !== undefined && maxIdle !== undefined
        ? age > maxAge * hard || (age > maxAge && idle > maxIdle)
        : (maxAge !== undefined && age > maxAge) || (maxIdle !== undefined && idle > maxIdle);
    (goes ? forgotten : kept).push(m);
  }
  const budget = policy.budget ?? undefined;
  if (budget !== undefined && kept.length > budget) {
    const score = (m: ForgetCandidate) => recencyScore(0, m, now, BUDGET_WEIGHTS);
    const ranked = kept
      .map((m) => ({ m, s: score(m) }))
      .sort((a, b) => b.s - a.s || b.m.createdMs - a.m.createdMs || compareIds(a.m.id, b.m.id));
    for (const { m } of ranked.slice(budget)) forgotten.push(m);
  }
  return forgotten.sort((a, b) => a.createdMs - b.createdMs || compareIds(a.id, b.id)).map((m) => m.id);
}

const candidateOf = (r: MemoryRecord): ForgetCandidate => ({
  id: r.id,
  memory_type: r.memory_type,
  pinned: r.pinned,
  createdMs: Date.parse(r.created_at),
  lastAccessedMs: Date.parse(r.last_accessed),
});

/**
 * Forgetting (POST /v1/long-term-memory/forget): scans the memories in scope (the `limit` oldest when given; only
 * those past the threshold when neither a budget nor a limit needs the others), selects with the policy, and
 * unless `dry_run` (the default) deletes them through `remove`, in slices between which requests are served
 * (util/yield.ts). `scanned` counts what was read. Once `signal` is aborted (shutdown) no further slice is deleted:
 * `deleted` and `deleted_ids` say what was, and the next run finds the rest.
 */
export async function forgetLongTermMemories(
  store: MemoryStore,
  remove: (ids: string[]) => Promise<number>,
  rawBody: unknown,
  rawScope: unknown,
  now = Date.now(),
  signal?: AbortSignal,
): Promise<ForgetReport> {
  const body = ForgetBody.safeParse(rawBody);
  if (!body.success) throw invalid(describeZodIssues(body.error.issues));
  const scope = ForgetScope.safeParse(rawScope ?? {});
  if (!scope.success) throw invalid(describeZodIssues(scope.error.issues));
  const { namespace, user_id, session_id, limit, dry_run } = scope.data;
  const eq = (v: string | null | undefined) => (v == null ? undefined : { eq: v });
  const filter = toStoreFilter({ namespace: eq(namespace), user_id: eq(user_id), session_id: eq(session_id) });
  const { policy } = body.data;
  // Without a budget or a limit, only memories past the age (or idleness) threshold can go: the store's index
  // picks them, so a scheduled run over a large store reads only those. (Both thresholds: any memory that goes
  // is older than max_age_days.)
  if (policy.budget == null && limit == null) {
    if (policy.max_age_days != null) filter.times.created_at = { lt: now - policy.max_age_days * DAY_MS };
    else if (policy.max_inactive_days != null) {
      filter.times.last_accessed = { lt: now - policy.max_inactive_days * DAY_MS };
    }
  }

  let candidates: ForgetCandidate[] = [];
  for await (const page of memoryPages(store, filter)) for (const r of page) candidates.push(candidateOf(r));
  // Pages come newest first; `limit` keeps the oldest, which are what forgetting is for.
  candidates.reverse();
  if (limit != null) candidates = candidates.slice(0, limit);

  const ids = selectForForgetting(candidates, policy, now, new Set(body.data.pinned_ids ?? []));
  if (dry_run) return { scanned: candidates.length, deleted: ids.length, deleted_ids: ids, dry_run };
  let deleted = 0;
  const handed = await inSlices(
    ids,
    async (slice) => {
      deleted += await remove(slice);
    },
    signal,
  );
  return { scanned: candidates.length, deleted, deleted_ids: ids.slice(0, handed), dry_run };
}
