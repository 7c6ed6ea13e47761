import type { MemoryRecord } from '../models/memory-record.js';
import type { IndexTerms, MemoryStore } from '../store/port.js';
import { analyzeToString } from '../text/analyzer.js';
import type { RelatedWords } from '../text/related-words.js';

/**
 * How many memories on each side of a memory, in the same session, lend it their words. Answers often sit next to
 * the turn that names the topic ("What did you paint?" → "A sunrise."); on the LoCoMo dev split a window of 2
 * at context weight 0.5 lifted keyword Recall@10 from 0.65 to 0.77 (docs/retrieval-quality.md).
 */
export const NEIGHBOUR_WINDOW = 2;

/**
 * A memory's own context terms: its topics and entities, and for facts (not dialogue turns) the related words of
 * its text. Turns are left without: their neighbours already lend them context, and on LoCoMo the extra words cost
 * first place (R@1 0.382 → 0.351) by lengthening every turn's context.
 */
export function ownContext(r: MemoryRecord, related: RelatedWords | null): string {
  const tags = analyzeToString([...r.topics, ...r.entities].join(' '));
  return related && r.memory_type !== 'message' ? `${tags} ${analyzeToString(related.of(r.text))}`.trim() : tags;
}

/** Context terms of a memory: its own topics and entities, then the words of its neighbours in `seq`. */
function contextAt(seq: MemoryRecord[], terms: string[], i: number, related: RelatedWords | null): string {
  const parts = [ownContext(seq[i]!, related)];
  for (let j = Math.max(0, i - NEIGHBOUR_WINDOW); j <= Math.min(seq.length - 1, i + NEIGHBOUR_WINDOW); j++) {
    if (j !== i) parts.push(terms[j]!);
  }
  return parts.filter(Boolean).join(' ');
}

export interface ContextPlan {
  /** Context terms for each new record, by id. */
  forNew: Map<string, string>;
  /** Existing memories whose right-hand neighbours changed, with the ids of those new neighbours. */
  updates: (IndexTerms & { newNeighbours: string[] })[];
}

/**
 * Neighbours lend words only between conversation turns (memory_type `message` with a session): a turn's answer
 * often sits next to the turn that names its topic, while standalone facts stored together share no topic.
 */
const isTurn = (r: MemoryRecord) => r.session_id !== null && r.memory_type === 'message';

/**
 * Places new conversation turns after the existing tail of their session (in call order) and computes every
 * context that changes. Other records, or all with `enabled` false, only get their own topics and entities.
 */
export async function planNeighbourContext(
  store: MemoryStore,
  records: MemoryRecord[],
  enabled = true,
  related: RelatedWords | null = null,
): Promise<ContextPlan> {
  const plan: ContextPlan = { forNew: new Map(), updates: [] };
  const groups = new Map<string, MemoryRecord[]>();
  for (const r of records) {
    if (!enabled || !isTurn(r)) {
      plan.forNew.set(r.id, ownContext(r, related));
      continue;
    }
    // One user's words never become context of another user's memories, even in a shared session.
    const key = JSON.stringify([r.namespace, r.session_id, r.user_id]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    const newIds = new Set(group.map((r) => r.id));
    // Twice the window: the tail's last memories need their own left neighbours to be recomputed whole. The
    // store's tail spans users, so read more and keep this user's.
    const tail = (await store.sessionTail(first.namespace, first.session_id!, 4 * NEIGHBOUR_WINDOW))
      .filter((r) => !newIds.has(r.id) && r.user_id === first.user_id && isTurn(r))
      .slice(-2 * NEIGHBOUR_WINDOW);
    const seq = [...tail, ...group];
    const terms = seq.map((r) => analyzeToString(r.text));
    seq.forEach((r, i) => {
      if (i >= tail.length) plan.forNew.set(r.id, contextAt(seq, terms, i, related));
      else if (i >= tail.length - NEIGHBOUR_WINDOW)
        plan.updates.push({
          id: r.id,
          terms: terms[i]!,
          contextTerms: contextAt(seq, terms, i, related),
          newNeighbours: seq.slice(tail.length, i + NEIGHBOUR_WINDOW + 1).map((n) => n.id),
        });
    });
  }
  return plan;
}

/**
 * Keyword-index terms of every memory from scratch (`agent-memory rebuild-index`), `records` in insertion order:
 * each conversation turn gets the words of its neighbours on both sides in its session, as the incremental writes
 * above leave them; every other memory its own context.
 */
export function indexTermsForAll(
  records: MemoryRecord[],
  enabled = true,
  related: RelatedWords | null = null,
): IndexTerms[] {
  const out: IndexTerms[] = [];
  const groups = new Map<string, MemoryRecord[]>();
  for (const r of records) {
    if (!enabled || !isTurn(r)) {
      out.push({ id: r.id, terms: analyzeToString(r.text), contextTerms: ownContext(r, related) });
      continue;
    }
    const key = JSON.stringify([r.namespace, r.session_id, r.user_id]);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  for (const seq of groups.values()) {
    const terms = seq.map((r) => analyzeToString(r.text));
    seq.forEach((r, i) => {
      out.push({ id: r.id, terms: terms[i]!, contextTerms: contextAt(seq, terms, i, related) });
    });
  }
  return out;
}
