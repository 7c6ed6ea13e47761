import { describeZodIssues, invalid, notFound } from '../errors.js';
import type { Embedder } from '../llm/embedder.js';
import type { MemoryFilter, StoreFilter } from '../models/filters.js';
import {
  type MemoryRecord,
  MemoryRecordInput,
  type MemoryRecordParsed,
  type MemoryRecordPatch,
  type MemoryRecordResult,
  type MemoryRecordResults,
} from '../models/memory-record.js';
import { type SearchMode, SearchRequest, type SearchRequestInput } from '../models/search.js';
import type { IndexedMemory, KeywordHit, MemoryStore, Page, PutOutcome, VectorPage } from '../store/port.js';
import { analyzeToString, queryTerms } from '../text/analyzer.js';
import type { RelatedWords } from '../text/related-words.js';
import { contentHash } from '../util/content-hash.js';
import { log } from '../util/log.js';
import { AccessRecorder } from './access-recorder.js';
import { type ActivityDraft, type ActivityLog, memoryEvent } from './activity.js';
import type { Change, ChangeFeed } from './changes.js';
import { checkAttributePaths, toStoreFilter } from './filters.js';
import { indexTermsForAll, ownContext, planNeighbourContext } from './neighbour-context.js';
import type { CacheProbe, QueryCache } from './query-cache.js';
import {
  byScore,
  type Candidate,
  candidate,
  DEFAULT_RECENCY,
  fuse,
  keywordScore,
  type RecencyWeights,
  recencyScore,
  standardises,
  vectorScore,
} from './ranking.js';
import { buildRecord, checkTextSize, type RecordDefaults } from './records.js';
import { fullDetail } from './tiers.js';

export interface LongTermOptions {
  maxTextBytes: number;
  recencyBoost: boolean;
  /** Vector weight in hybrid fusion when the request gives no hybrid_alpha. */
  defaultHybridAlpha: number;
  /** The embedder's FusionProfile.standardSpan: vector scores standardised against the memories searched. */
  standardSpan?: number;
  /** NEIGHBOUR_CONTEXT: conversation turns are also indexed with their session neighbours' words. */
  neighbourContext?: boolean;
  /** AGENT_ATTRIBUTE_PATHS: the paths attribute filters may name. */
  attributePaths?: readonly string[];
  /** RELATED_WORDS: loads the WordNet related-word table (null when off or not installed). */
  relatedWords?: () => Promise<RelatedWords | null>;
  /** Hook after `create` stored new memories (not overwrites or duplicates): queues enrichment and dedup. */
  onCreated?: (records: MemoryRecord[]) => Promise<void>;
  /** Where writes are announced (MCP resource notifications). */
  changes?: ChangeFeed;
  /** Where every write is recorded (history and activity stream). */
  activity?: ActivityLog;
  /** Rankings of recent searches (core/query-cache.ts); none: every search runs in full. */
  queryCache?: QueryCache;
}

/** What the query cache keeps of a ranked search: candidates with base scores, before any recency re-rank. */
interface CachedRanking {
  candidates: Candidate[];
  total: number;
}

/** What the query cache keeps of a listing (no text): the page's ids in order. */
interface CachedListing {
  ids: string[];
  total: number;
}

/** A caller's query vector, unit length (the stores compare by cosine); a zero vector has no direction. */
function givenVector(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  if (!(norm > 0) || !Number.isFinite(norm)) throw invalid('vector: a zero vector has no direction to compare');
  return Float32Array.from(values, (v) => v / norm);
}

export interface CreateResult {
  memories: MemoryRecord[];
  outcomes: PutOutcome[];
}

/**
 * Share of the query's keyword ceiling (MemoryStore.keywordCeiling) below which the best keyword hit is not scaled
 * up to full confidence in hybrid fusion: a hit matching one minor word of a paraphrased question must not outvote
 * the vectors. At alpha 0.25, floors 0.3 / 0.5 / 0.7 / 1.0 give paraphrase first-place 0.40 / 0.49 / 0.53 / 0.55;
 * LoCoMo Recall@10 is 0.802 at 0.7 and 0.795 at 1.0 (docs/retrieval-quality.md).
 */
const KEYWORD_FLOOR = 0.7;

/** How many of the best keyword hits get a vector score when the vector search did not return them. */
const EXTRA_SIMILARITIES = 20;

/** How many candidates each ranking contributes before fusion: deep enough that paging stays stable. */
const candidateDepth = (window: number) => Math.max(50, Math.min(window * 2, window + 1000));

/** How an edit appears in a memory's history. */
export interface EditKind {
  action: 'edit' | 'merge';
  details?: Record<string, unknown>;
}

/** How a removal appears in a memory's history; `details` per removed memory. */
export interface RemovalKind {
  action: 'delete' | 'forget' | 'merge';
  details?: (removed: MemoryRecord) => Record<string, unknown>;
}

export class LongTermMemory {
  private readonly access: AccessRecorder;

  constructor(
    private readonly store: MemoryStore,
    private readonly embedder: Embedder,
    private readonly opts: LongTermOptions,
  ) {
    this.access = new AccessRecorder(store);
  }

  /** Writes the accesses of searches that have answered but not yet been recorded (close calls it). */
  flushAccess(): Promise<void> {
    return this.access.flush();
  }

  /** Validates every item first, so a bad item writes nothing; returns once all are searchable. */
  async create(
    inputs: unknown[],
    opts: { deduplicate?: boolean; defaults?: RecordDefaults } = {},
  ): Promise<CreateResult> {
    if (inputs.length === 0) throw invalid('memories: give at least one memory');
    const parsed = inputs.map((raw, i) => {
      const r = MemoryRecordInput.safeParse(raw);
      if (!r.success) throw invalid(`memories[${i}]: ${describeZodIssues(r.error.issues)}`);
      checkTextSize(r.data.text, this.opts.maxTextBytes, `memories[${i}]`);
      return r.data;
    });
    const { existing, ...result } = await this.write(parsed, opts.deduplicate ?? true, opts.defaults ?? {});
    const status = new Map(result.outcomes.map((o) => [o.id, o.status]));
    await this.opts.activity?.record(
      result.memories.flatMap((m): ActivityDraft[] => {
        const s = status.get(m.id);
        if (s === 'created') return [memoryEvent('create', null, m)];
        return s === 'updated' ? [memoryEvent('edit', existing.get(m.id) ?? null, m)] : [];
      }),
    );
    this.announce(
      result.memories.filter((m) => status.get(m.id) !== 'duplicate'),
      (m) => (status.get(m.id) === 'created' ? 'created' : 'updated'),
    );
    if (this.opts.onCreated) {
      const created = new Set(result.outcomes.flatMap((o) => (o.status === 'created' ? [o.id] : [])));
      if (created.size) await this.opts.onCreated(result.memories.filter((m) => created.has(m.id)));
    }
    return result;
  }

  private async write(parsed: MemoryRecordParsed[], deduplicate: boolean, defaults: RecordDefaults) {
    const now = Date.now();
    const ids = parsed.map((p) => p.id).filter((id): id is string => !!id);
    const existing = new Map((await this.store.getMemories(ids)).map((r) => [r.id, r]));
    const records = parsed.map((p) => buildRecord(p, now, defaults, p.id ? existing.get(p.id) : undefined));
    const context = await planNeighbourContext(
      this.store,
      records,
      this.opts.neighbourContext ?? true,
      await this.related(),
    );
    const items = await this.index(records, context.forNew);
    const outcomes = await this.store.putMemories(items, { deduplicate });
    // A session whose new memories were all duplicates gained no neighbours: leave its tail as it was.
    const written = new Set(outcomes.filter((o) => o.status !== 'duplicate').map((o) => o.id));
    await this.store.setIndexTerms(
      context.updates
        .filter((u) => u.newNeighbours.some((id) => written.has(id)))
        .map(({ newNeighbours: _, ...u }) => u),
    );
    const kept = outcomes.map((o, i) => (o.status === 'duplicate' ? o.existing_id : records[i]!.id));
    const stored = new Map((await this.store.getMemories(kept)).map((r) => [r.id, r]));
    return {
      memories: kept.map((id) => stored.get(id)).filter((r): r is MemoryRecord => !!r),
      outcomes,
      existing,
    };
  }

  /**
   * `contexts` overrides the default context terms (the record's own topics and entities); `vectorTexts`, the texts
   * embedded (the records' own by default).
   */
  private async index(
    records: MemoryRecord[],
    contexts?: Map<string, string>,
    vectorTexts: string[] = records.map((r) => r.text),
  ): Promise<IndexedMemory[]> {
    const vectors = await this.embedder.embed(vectorTexts, 'memory');
    const related = await this.related();
    return records.map((record, i) => ({
      record,
      terms: analyzeToString(record.text),
      contextTerms: contexts?.get(record.id) ?? ownContext(record, related),
      vector: vectors[i]!,
      vectorHash: contentHash(vectorTexts[i]!),
    }));
  }

  /**
   * Rebuilds the keyword index (terms, neighbour context, related words) and tags of every memory from the stored
   * records, as writes would have left them (`agent-memory rebuild-index` on SQLite).
   */
  async rebuildKeywordIndex(
    onProgress?: (done: number, total: number) => void,
    opts?: { onlyIfPending?: boolean },
  ): Promise<number> {
    if (!this.store.rebuildKeywordIndex) {
      throw invalid(`the ${this.store.kind} store rebuilds its index another way`);
    }
    const related = await this.related();
    const enabled = this.opts.neighbourContext ?? true;
    return this.store.rebuildKeywordIndex((records) => indexTermsForAll(records, enabled, related), onProgress, opts);
  }

  /**
   * Writes stored records again in place (tier moves): the same ids, times and counters, no history event. Each
   * keeps the vector of `vectorTexts[i]` (its full text, whose vector the embedding cache already holds).
   */
  async rewrite(records: MemoryRecord[], vectorTexts: string[]): Promise<void> {
    if (records.length === 0) return;
    await this.store.putMemories(await this.index(records, undefined, vectorTexts), { deduplicate: false });
  }

  /** Restores exported records as they were (ids, times, counters), re-indexing them for this server. */
  async importRecords(records: MemoryRecord[]): Promise<number> {
    for (const [i, r] of records.entries()) checkTextSize(r.text, this.opts.maxTextBytes, `records[${i}]`);
    const existing = new Map((await this.store.getMemories(records.map((r) => r.id))).map((r) => [r.id, r]));
    const outcomes = await this.store.putMemories(await this.index(records), { deduplicate: false });
    await this.opts.activity?.record(
      records.map((r) =>
        memoryEvent(existing.has(r.id) ? 'edit' : 'create', existing.get(r.id) ?? null, r, { imported: true }),
      ),
    );
    return outcomes.length;
  }

  /** Related words are an aid to ranking: if they cannot be loaded, memories are indexed without them. */
  private async related(): Promise<RelatedWords | null> {
    try {
      return (await this.opts.relatedWords?.()) ?? null;
    } catch (err) {
      log.warn('indexing without related words', { error: err instanceof Error ? err.message : String(err) });
      return null;
    }
  }

  async get(id: string): Promise<MemoryRecord> {
    await this.access.flush();
    const [record] = await this.store.getMemories([id]);
    if (!record) throw notFound(`No long-term memory with id "${id}".`);
    return record;
  }

  /**
   * Applies a patch; the text is re-embedded and re-indexed when it changes. `how` names the change in the history
   * (a merge of near-duplicates is an edit of the memory that survives it).
   */
  async edit(id: string, patch: MemoryRecordPatch, how: EditKind = { action: 'edit' }): Promise<MemoryRecord> {
    // An agent memory in IM or LTM is edited in full detail, and the edit returns it to STM (as any write does).
    const current = fullDetail(await this.get(id));
    if (patch.text !== undefined) checkTextSize(patch.text, this.opts.maxTextBytes, 'text');
    const merged = MemoryRecordInput.safeParse({
      ...current,
      ...patch,
      topics: patch.topics === null ? [] : (patch.topics ?? current.topics),
      entities: patch.entities === null ? [] : (patch.entities ?? current.entities),
    });
    if (!merged.success)
      throw invalid(`memory "${id}" cannot take this edit: ${describeZodIssues(merged.error.issues)}`);
    const record = buildRecord(merged.data, Date.now(), {}, current);
    const [item] = await this.index([record]);
    await this.store.putMemories([item!], { deduplicate: false });
    const updated = await this.get(id);
    await this.opts.activity?.record([memoryEvent(how.action, current, updated, how.details)]);
    this.announce([updated], () => 'updated');
    return updated;
  }

  /** `how` names the removal in the history: deleted, forgotten by a policy, or merged into another memory. */
  async delete(ids: string[], how: RemovalKind = { action: 'delete' }): Promise<number> {
    // No ids deletes nothing, as the reference answers "ok, deleted 0 memories".
    if (ids.length === 0) return 0;
    const unique = [...new Set(ids)];
    // Read first: the history keeps the text that goes, and listeners confine by the owners.
    const gone = await this.store.getMemories(unique);
    const n = await this.store.deleteMemories(unique);
    await this.opts.activity?.record(gone.map((r) => memoryEvent(how.action, r, null, how.details?.(r) ?? {})));
    this.announce(gone, () => 'deleted');
    return n;
  }

  private announce(records: MemoryRecord[], action: (r: MemoryRecord) => Change['action']): void {
    this.opts.changes?.emit(
      records.map((r) => ({
        resource: 'memory',
        action: action(r),
        id: r.id,
        namespace: r.namespace,
        user_id: r.user_id,
      })),
    );
  }

  /** UTF-8 bytes of the text and content of the memories a filter keeps, as the store holds them. */
  async contentBytes(filter: Partial<MemoryFilter>): Promise<number> {
    return this.store.contentBytes(toStoreFilter(filter));
  }

  async list(filter: Partial<MemoryFilter>, limit: number, offset: number) {
    await this.access.flush();
    const page = await this.store.listMemories(toStoreFilter(filter), limit, offset);
    return {
      memories: page.items,
      total: page.total,
      next_offset: offset + limit < page.total ? offset + limit : null,
    };
  }

  async search(raw: SearchRequestInput, opts: { touch?: boolean } = {}): Promise<MemoryRecordResults> {
    const parsed = SearchRequest.safeParse(raw);
    if (!parsed.success) throw invalid(describeZodIssues(parsed.error.issues));
    const req = parsed.data;
    const filter = toStoreFilter(req);
    checkAttributePaths(filter, this.opts.attributePaths ?? []);
    if (req.order_by && req.text.trim()) {
      throw invalid('order_by orders a listing (no text); a search with text is ranked by relevance');
    }
    const text = req.text.trim();
    const given = req.vector ? givenVector(req.vector) : undefined;
    if (given && text) throw invalid('give text or vector, not both: a vector search is semantic only');
    if (given && req.order_by) throw invalid('order_by orders a listing; a vector search is ranked by similarity');
    const window = req.offset + req.limit;
    const depth = candidateDepth(window);

    let candidates: Candidate[];
    let total: number;
    // Earlier searches' accesses are written first: recency ranking reads last_accessed, and results carry
    // access_count, so a search ranks the same whenever the previous one's write lands.
    await this.access.flush();
    if (!text && !given) {
      const probe = await this.opts.queryCache?.probe<CachedListing>({
        list: { filter, order: req.order_by ?? null, limit: req.limit, offset: req.offset },
      });
      let page = probe?.value && (await this.cachedListing(probe.value));
      if (!page) {
        probe?.reject();
        page = await this.store.listMemories(filter, req.limit, req.offset, { order: req.order_by });
        probe?.save({ ids: page.items.map((r) => r.id), total: page.total });
      }
      const results = page.items.map((r) => ({ ...r, dist: 0, score: 1, score_type: req.search_mode }));
      this.touch(results, opts.touch);
      return this.page(results, page.total, req.offset, req.limit, true);
    }

    const mode = given ? 'semantic' : req.search_mode;
    const alpha = req.hybrid_alpha ?? this.opts.defaultHybridAlpha;
    const maxDistance = req.distance_threshold ?? undefined;
    const probe = await this.opts.queryCache?.probe<CachedRanking>({
      rank: {
        filter,
        text,
        vector: given ? Array.from(given) : null,
        mode,
        alpha: mode === 'hybrid' ? alpha : null,
        maxDistance: maxDistance ?? null,
        depth,
      },
      model: this.embedder.model,
    });
    const cached = probe?.value;
    if (cached) {
      candidates = cached.candidates.map((c) => ({ ...c }));
      total = cached.total;
    } else {
      ({ candidates, total } = await this.findCandidates(filter, text, given, mode, alpha, maxDistance, depth));
      // Without access times: a ranking that weighs them reads every candidate's record afresh on a hit (below).
      probe?.save({ candidates: candidates.map(({ lastAccessedMs: _, ...c }) => c), total });
    }

    const weights = this.recencyWeights(req);
    // Records are fetched for the page only, unless the store's hits came without the times recency needs.
    const fetched = new Map<string, MemoryRecord>();
    if (weights) {
      const untimed = candidates.filter((c) => c.createdMs === undefined || c.lastAccessedMs === undefined);
      if (untimed.length) {
        for (const r of await this.store.getMemories(untimed.map((c) => c.id))) fetched.set(r.id, r);
        // A memory of a cached ranking gone (deleted since the version was read): the answer is computed afresh.
        if (cached && untimed.some((c) => !fetched.has(c.id))) return this.retryUncached(probe, raw, opts);
        candidates = candidates.flatMap((c) => {
          if (c.createdMs !== undefined && c.lastAccessedMs !== undefined) return [c];
          const r = fetched.get(c.id);
          return r
            ? [
                {
                  ...c,
                  createdMs: Date.parse(r.created_at),
                  lastAccessedMs: Date.parse(r.last_accessed),
                  importance: r.importance,
                  pinned: r.pinned,
                },
              ]
            : [];
        });
      }
    }
    const now = Date.now();
    let ranked = candidates
      .map((c) => ({
        id: c.id,
        score: weights
          ? recencyScore(
              c.score,
              {
                lastAccessedMs: c.lastAccessedMs!,
                createdMs: c.createdMs!,
                importance: c.importance,
                pinned: c.pinned,
              },
              now,
              weights,
            )
          : c.score,
      }))
      .sort((a, b) => b.score - a.score);
    let pageItems: MemoryRecordResult[];
    for (;;) {
      const slice = ranked.slice(req.offset, window);
      const wanted = slice.filter((c) => !fetched.has(c.id)).map((c) => c.id);
      for (const r of await this.store.getMemories(wanted)) fetched.set(r.id, r);
      if (slice.every((c) => fetched.has(c.id))) {
        pageItems = slice.map((c) => ({ ...fetched.get(c.id)!, score: c.score, dist: 1 - c.score, score_type: mode }));
        break;
      }
      if (cached) return this.retryUncached(probe, raw, opts);
      // A memory deleted since the search drops out, and the next candidate moves up into the page.
      const gone = new Set(slice.filter((c) => !fetched.has(c.id)).map((c) => c.id));
      ranked = ranked.filter((c) => !gone.has(c.id));
    }
    this.touch(pageItems, opts.touch);
    return this.page(pageItems, total, req.offset, req.limit, false);
  }

  /** Keyword and vector candidates with their fused base scores (no recency), and the true total. */
  private async findCandidates(
    filter: StoreFilter,
    text: string,
    given: Float32Array | undefined,
    mode: SearchMode,
    alpha: number,
    maxDistance: number | undefined,
    depth: number,
  ): Promise<{ candidates: Candidate[]; total: number }> {
    let candidates: Candidate[];
    let total: number;
    const terms = mode === 'semantic' ? [] : queryTerms(text);
    const wantVector = mode === 'semantic' || (mode === 'hybrid' && alpha > 0);
    // A hybrid total is at least the vector total, which (without a distance threshold) counts every filtered
    // memory: the keyword matches need no count of their own then.
    const countKeyword = !(mode === 'hybrid' && wantVector && maxDistance === undefined);
    const standardise = mode === 'hybrid' && wantVector && this.opts.standardSpan !== undefined;
    const noVectors: VectorPage = { items: [], total: 0 };
    const queryVector = given ?? (wantVector ? (await this.embedder.embed([text]))[0]! : undefined);
    // The vector search and the keyword ceiling are started first: a store that runs them on another thread (a
    // SQLite file) overlaps them with the keyword search, which then runs here.
    const vecSearch = queryVector
      ? this.store.vectorSearch(queryVector, filter, depth, maxDistance, { similarity: standardise })
      : Promise.resolve(noVectors);
    const ceilingOf =
      mode === 'hybrid' && wantVector && terms.length ? this.store.keywordCeiling(terms) : Promise.resolve(0);
    const kwSearch = terms.length
      ? this.store.keywordSearch(terms, filter, depth, { count: countKeyword })
      : Promise.resolve({ items: [] as KeywordHit[], total: 0 });
    // The best keyword hits' distances, asked as soon as those hits are known: with a search thread, while the vector
    // half still runs. Fusion uses the ones the vector half did not find, when it standardises.
    const extraOf =
      standardise && queryVector
        ? kwSearch.then((k) => {
            const ids = k.items.slice(0, EXTRA_SIMILARITIES).map((h) => h.id);
            return ids.length ? this.store.vectorDistances(queryVector, ids) : undefined;
          })
        : Promise.resolve(undefined);
    const [kw, vec, ceiling, extraDistances] = await Promise.all([kwSearch, vecSearch, ceilingOf, extraOf]);
    if (mode === 'keyword') {
      // The store breaks ties by insertion order; ranking breaks them by id, as fusion does.
      candidates = kw.items.map((h) => candidate(h, keywordScore(h.score))).sort(byScore);
      total = kw.total;
    } else if (mode === 'semantic') {
      candidates = vec.items.map((h) => candidate(h, vectorScore(h.distance)));
      total = vec.total;
    } else {
      // The best keyword hits beyond the vector candidates still have a similarity, which standardised scores can
      // use (LoCoMo dev: +0.024 Recall@10 from the top 20, none more from deeper ones).
      const scaling = { similarity: vec.similarity, span: this.opts.standardSpan };
      const extra = standardises(scaling) ? extraDistances : undefined;
      candidates = fuse(kw.items, vec.items, alpha, KEYWORD_FLOOR * ceiling, { ...scaling, extra });
      total = Math.max(kw.total, vec.total, candidates.length);
    }
    return { candidates, total };
  }

  /** A cached listing with its records read afresh, or undefined when one of them is gone. */
  private async cachedListing(cached: CachedListing): Promise<Page<MemoryRecord> | undefined> {
    const items = await this.store.getMemories(cached.ids);
    return items.length === cached.ids.length ? { items, total: cached.total } : undefined;
  }

  /** A cached answer named a memory that is gone: forgotten, and the search runs again without it. */
  private retryUncached(
    probe: CacheProbe<CachedRanking> | undefined,
    raw: SearchRequestInput,
    opts: { touch?: boolean },
  ): Promise<MemoryRecordResults> {
    probe?.reject();
    return this.search(raw, opts);
  }

  private recencyWeights(req: SearchRequest): RecencyWeights | null {
    if (!(req.recency_boost ?? this.opts.recencyBoost)) return null;
    return {
      semantic: req.recency_semantic_weight ?? DEFAULT_RECENCY.semantic,
      recency: req.recency_recency_weight ?? DEFAULT_RECENCY.recency,
      freshness: req.recency_freshness_weight ?? DEFAULT_RECENCY.freshness,
      novelty: req.recency_novelty_weight ?? DEFAULT_RECENCY.novelty,
      halfLifeLastAccessDays: req.recency_half_life_last_access_days ?? DEFAULT_RECENCY.halfLifeLastAccessDays,
      halfLifeCreatedDays: req.recency_half_life_created_days ?? DEFAULT_RECENCY.halfLifeCreatedDays,
      importance: req.recency_importance_weight ?? DEFAULT_RECENCY.importance,
    };
  }

  private touch(results: { id: string }[], touch = true): void {
    if (touch && results.length)
      this.access.record(
        results.map((r) => r.id),
        Date.now(),
      );
  }

  private page(memories: MemoryRecordResult[], total: number, offset: number, limit: number, exact: boolean) {
    const end = offset + memories.length;
    const more = exact ? end < total : memories.length === limit && end < total;
    return { memories, total, next_offset: more ? end : null };
  }
}
