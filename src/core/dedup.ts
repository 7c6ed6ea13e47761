import { z } from 'zod';
import type { ChatModel } from '../llm/chat-model.js';
import type { Embedder } from '../llm/embedder.js';
import { completeJson } from '../llm/json-reply.js';
import type { PromptLibrary } from '../llm/prompts.js';
import type { StoreFilter } from '../models/filters.js';
import type { MemoryRecord, MemoryRecordPatch } from '../models/memory-record.js';
import type { MemoryStore } from '../store/port.js';
import { cosineDistance } from '../util/cosine.js';
import type { LongTermMemory } from './long-term.js';
import { cleanDate, cleanTags } from './tags.js';

/** Where a memory lives for dedup purposes: memories of different namespaces or users never merge. */
export interface Scope {
  namespace: string | null;
  user_id: string | null;
}

/** A memory not stored yet (from extraction), described by what a merge needs. */
export interface Candidate {
  text: string;
  topics: string[];
  entities: string[];
  event_date: string | null;
  extracted_from: string[];
}

export type CandidateOutcome =
  | { outcome: 'new' }
  | { outcome: 'duplicate'; id: string }
  | { outcome: 'merged'; id: string; removed: string[] };

export interface DedupDeps {
  store: MemoryStore;
  embedder: Embedder;
  longTerm: Pick<LongTermMemory, 'get' | 'edit' | 'delete'>;
  chat: ChatModel | null;
  prompts: PromptLibrary;
  maxTextBytes: number;
}

interface Neighbour {
  record: MemoryRecord;
  distance: number;
  vector: Float32Array;
}

const MergeReply = z.object({
  same: z.boolean(),
  text: z.string().default(''),
  topics: z.array(z.unknown()).default([]),
  entities: z.array(z.unknown()).default([]),
  event_date: z.unknown().optional(),
});

/** Same words, ignoring case, spacing and final punctuation: such memories are duplicates without asking a model. */
export const sameText = (a: string, b: string) => normalize(a) === normalize(b);
const normalize = (t: string) =>
  t
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[\s.!?]+$/, '')
    .trim();

/**
 * The cohesion guard: from neighbours of an anchor, the group in which every member is within `threshold` of
 * every other (a clique), taken greedily nearest first. Without it, A~B and B~C would chain A and C into one
 * "mega-memory" although they have nothing in common.
 */
export function cohesiveGroup<T extends { vector: Float32Array; distance: number }>(
  anchor: Float32Array,
  candidates: T[],
  threshold: number,
): T[] {
  const group: T[] = [];
  const members = [anchor];
  for (const c of [...candidates].sort((a, b) => a.distance - b.distance)) {
    if (members.every((m) => cosineDistance(c.vector, m) <= threshold)) {
      group.push(c);
      members.push(c.vector);
    }
  }
  return group;
}

/**
 * Semantic deduplication: near neighbours in the same namespace and user, the cohesion guard, then an LLM that
 * decides whether they state the same thing and writes the merged memory. Equal text needs no LLM; with no LLM,
 * near-duplicates are left alone.
 */
export class Deduplicator {
  constructor(private readonly deps: DedupDeps) {}

  get canMerge(): boolean {
    return this.deps.chat !== null;
  }

  /** Decides about a memory before it is stored: new, a duplicate of a stored one, or merged into stored ones. */
  async resolveCandidate(candidate: Candidate, scope: Scope, threshold: number): Promise<CandidateOutcome> {
    const [vector] = await this.deps.embedder.embed([candidate.text], 'memory');
    const near = await this.neighbours(vector!, scope, threshold, new Set());
    const equal = near.find((n) => sameText(n.record.text, candidate.text));
    if (equal) return { outcome: 'duplicate', id: equal.record.id };
    const group = cohesiveGroup(vector!, near, threshold);
    if (group.length === 0 || !this.deps.chat) return { outcome: 'new' };
    const merged = await this.merge(
      group.map((g) => g.record),
      candidate,
    );
    return merged ? { outcome: 'merged', ...merged } : { outcome: 'new' };
  }

  /**
   * Merges a stored memory with its cohesive neighbours (within `threshold`, skipping `exclude`). Returns the ids
   * involved, or null when nothing was merged.
   */
  async mergeAround(
    id: string,
    threshold: number,
    exclude: ReadonlySet<string> = new Set(),
  ): Promise<{ id: string; removed: string[]; kind: 'equal' | 'merged' } | null> {
    const [record] = await this.deps.store.getMemories([id]);
    if (!record) return null;
    // A stored memory's text: its vector is found with the memory, unless that was embedded from another text (a
    // tier's shortened memory), and then this one is worth caching.
    const [vector] = await this.deps.embedder.embed([record.text]);
    const near = await this.neighbours(vector!, record, threshold, new Set([...exclude, id]));
    const equal = near.filter((n) => sameText(n.record.text, record.text));
    if (equal.length) {
      // Keep the oldest of equal memories; the others add nothing.
      const all = [record, ...equal.map((n) => n.record)].sort(byAge);
      const removed = all.slice(1).map((r) => r.id);
      const into = all[0]!.id;
      await this.deps.longTerm.delete(removed, { action: 'merge', details: () => ({ into, equal_text: true }) });
      return { id: all[0]!.id, removed, kind: 'equal' };
    }
    const group = cohesiveGroup(vector!, near, threshold);
    if (group.length === 0 || !this.deps.chat) return null;
    const merged = await this.merge([record, ...group.map((g) => g.record)]);
    return merged ? { ...merged, kind: 'merged' } : null;
  }

  /** Nearest memories in exactly this namespace and user (null meaning none), within `threshold`. */
  private async neighbours(
    vector: Float32Array,
    scope: Scope,
    threshold: number,
    exclude: ReadonlySet<string>,
  ): Promise<Neighbour[]> {
    const filter: StoreFilter = { tags: {}, times: {} };
    // A null namespace or user cannot be a tag filter; those are checked on the records below.
    if (scope.namespace !== null) filter.tags.namespace = { eq: scope.namespace };
    if (scope.user_id !== null) filter.tags.user_id = { eq: scope.user_id };
    const hits = await this.deps.store.vectorSearch(vector, filter, 10 + exclude.size, threshold);
    const wanted = hits.items.filter((h) => !exclude.has(h.id));
    const records = new Map((await this.deps.store.getMemories(wanted.map((h) => h.id))).map((r) => [r.id, r]));
    const inScope = wanted.flatMap((h) => {
      const r = records.get(h.id);
      return r && r.namespace === scope.namespace && r.user_id === scope.user_id
        ? [{ record: r, distance: h.distance }]
        : [];
    });
    const vectors = await this.deps.embedder.embed(inScope.map((n) => n.record.text));
    return inScope.map((n, i) => ({ ...n, vector: vectors[i]! }));
  }

  /**
   * Asks the model to merge `records` (and a not yet stored candidate); writes the result over the oldest record
   * and deletes the rest. Null when the model judges them different, or the merged text would be too long.
   */
  private async merge(
    records: MemoryRecord[],
    candidate?: Candidate,
  ): Promise<{ id: string; removed: string[] } | null> {
    const chat = this.deps.chat!;
    const sorted = [...records].sort(byAge);
    const lines = sorted.map((r) => `- (${r.created_at.slice(0, 10)}) ${r.text}`);
    if (candidate) lines.push(`- (new) ${candidate.text}`);
    const prompt = this.deps.prompts.render('merge', { memories: lines.join('\n') });
    const reply = await completeJson(
      chat,
      { system: prompt.system, messages: [{ role: 'user', content: prompt.user }], maxTokens: 1024, purpose: 'merge' },
      MergeReply,
    );
    const text = reply.text.trim();
    if (!reply.same || !text || Buffer.byteLength(text) > this.deps.maxTextBytes) return null;
    const survivor = sorted[0]!;
    const removed = sorted.slice(1).map((r) => r.id);
    const union = (pick: (r: { topics: string[]; entities: string[] }) => string[], extra: unknown[]) =>
      cleanTags([...extra, ...sorted.flatMap(pick), ...(candidate ? pick(candidate) : [])]);
    const mergedFrom = Array.isArray(survivor.metadata.merged_from) ? (survivor.metadata.merged_from as string[]) : [];
    // `extracted_from` is not in the PATCH schema, but edit() re-validates the whole record, so it passes through.
    const patch: MemoryRecordPatch & { extracted_from: string[] } = {
      text,
      topics: union((r) => r.topics, reply.topics),
      entities: union((r) => r.entities, reply.entities),
      event_date: cleanDate(reply.event_date) ?? survivor.event_date ?? candidate?.event_date ?? null,
      pinned: sorted.some((r) => r.pinned),
      importance: Math.max(...sorted.map((r) => r.importance)),
      metadata: { ...survivor.metadata, merged_from: [...new Set([...mergedFrom, ...removed])] },
      extracted_from: [...new Set([...sorted.flatMap((r) => r.extracted_from), ...(candidate?.extracted_from ?? [])])],
    };
    await this.deps.longTerm.edit(survivor.id, patch, {
      action: 'merge',
      details: { merged: removed, ...(candidate ? { new_text: candidate.text } : {}) },
    });
    if (removed.length) {
      await this.deps.longTerm.delete(removed, { action: 'merge', details: () => ({ into: survivor.id }) });
    }
    return { id: survivor.id, removed };
  }
}

const byAge = (a: MemoryRecord, b: MemoryRecord) =>
  a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1;
