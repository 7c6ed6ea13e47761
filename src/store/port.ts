import type { ActivityAction, ActivityResource } from '../models/activity.js';
import type { StoreFilter } from '../models/filters.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { MemoryMessage } from '../models/message.js';
import type { WorkingMemory } from '../models/working-memory.js';
import type { SummaryViewStore } from './summary-views.js';
import type { TaskStore } from './tasks.js';

/**
 * A memory as the store indexes it. `terms` and `contextTerms` are already analysed by the core (lower-cased,
 * stop-worded, stemmed tokens joined by spaces), so every store ranks the same tokens the same way.
 */
export interface IndexedMemory {
  record: MemoryRecord;
  terms: string;
  contextTerms: string;
  vector: Float32Array;
  /** contentHash of the text `vector` was embedded from: a store that keeps it serves the vector as a cached one. */
  vectorHash?: string;
}

export interface IndexTerms {
  id: string;
  terms: string;
  contextTerms: string;
}

export type PutOutcome =
  | { status: 'created'; id: string }
  | { status: 'updated'; id: string }
  /** An equal memory (same memory_hash, namespace and user) already exists: nothing was written. */
  | { status: 'duplicate'; id: string; existing_id: string };

/**
 * A hit's memory times (epoch ms), importance and pin, for stores that have them at hand when searching: ranking
 * then needs no record, and only the returned page is fetched. A store fills all or none.
 */
export interface HitTimes {
  createdMs?: number;
  lastAccessedMs?: number;
  importance?: number;
  pinned?: boolean;
}
export interface KeywordHit extends HitTimes {
  id: string;
  /** Higher is better (BM25, positive). */
  score: number;
}
export interface VectorHit extends HitTimes {
  id: string;
  /** Cosine distance, 0 = same direction, 2 = opposite. */
  distance: number;
}

/**
 * The order of a listing: created_at newest first (the default); importance highest first; step_number latest
 * (or, `_asc`, earliest) first with memories without a step last; tier_step latest first (tier maintenance). Ties: created_at newest first, then id.
 */
export type ListOrder = 'created_at' | 'importance' | 'step_number' | 'step_number_asc' | 'tier_step';

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Cosine similarity between a query and the memories a filter keeps: every one of them up to
 * SIMILARITY_EXACT_MAX, else a fixed sample of about SIMILARITY_SAMPLE. Hybrid search standardises vector scores against it.
 */
export interface SimilarityStats {
  mean: number;
  sd: number;
  /** How many memories the figures are over. */
  n: number;
}

export interface VectorPage extends Page<VectorHit> {
  /** Present when asked for (`similarity: true`) and the filter keeps at least one memory with a vector. */
  similarity?: SimilarityStats;
}

/** Up to this many filtered memories, similarity figures are over all of them... */
export const SIMILARITY_EXACT_MAX = 1000;
/** ...above, over a fixed sample of about this many. */
export const SIMILARITY_SAMPLE = 256;

/** Where a working memory lives; null namespace/user are part of the identity. */
export interface SessionKey {
  session_id: string;
  namespace: string | null;
  user_id: string | null;
}

/** How a caller names a session: by id alone, or narrowed by namespace and/or user. */
export interface SessionQuery {
  session_id: string;
  namespace?: string | null;
  user_id?: string | null;
}

export interface StoredSession extends WorkingMemory {
  /** Messages stored, whatever window was returned. */
  total_messages: number;
  /** Epoch ms when the session expires, null for never. */
  expires_at: number | null;
  /** Messages summarized or trimmed out of the session, oldest first; only `allSessions` (export) fills it. */
  archived_messages?: MemoryMessage[];
}

/** Replaces the summary and moves messages out of the session, if no one else summarized it meanwhile. */
export interface ArchiveUpdate {
  /** The message ids to archive; ids not live in the session are ignored. */
  ids: string[];
  /** The new running summary (unchanged when summarization was unavailable). */
  context: string | null;
  /** The summary this update was computed from: the update is refused when the stored one differs. */
  expectedContext: string | null;
}

export interface AppendResult {
  session: StoredSession;
  /** How many messages were new (a re-sent message id is not appended twice). */
  appended: number;
}

/** An activity event as a store keeps it; times are epoch ms. */
export interface NewActivity {
  at: number;
  action: ActivityAction;
  resource: ActivityResource;
  target_id: string;
  namespace: string | null;
  user_id: string | null;
  session_id: string | null;
  actor: string;
  before: MemoryRecord | null;
  after: MemoryRecord | null;
  details: Record<string, unknown>;
}
export interface StoredActivity extends NewActivity {
  /** Assigned by the store, increasing in commit order. */
  seq: number;
}

/** Which events to list; every field given must hold (an absent one matches everything). */
export interface ActivityFilter {
  namespace?: string;
  user_id?: string;
  session_id?: string;
  resource?: ActivityResource;
  target_id?: string;
  actions?: ActivityAction[];
  /** At or after this epoch ms. */
  sinceMs?: number;
  /** Newest first, seq below this (the next page). */
  beforeSeq?: number;
  /** Oldest first, seq above this (a live stream catching up). */
  afterSeq?: number;
}

/** What erasing a user removed. */
export interface EraseCounts {
  sessions: number;
  memories: number;
  activity_events: number;
  tasks: number;
  cached_embeddings: number;
}

/** Counts for GET /v1/stats, over the memories and sessions a filter keeps. */
export interface StoreCounts {
  memories: number;
  by_namespace: Record<string, number>;
  by_user: Record<string, number>;
  by_memory_type: Record<string, number>;
  pinned: number;
  /** created_at of the oldest and newest memory (ISO), null when there is none. */
  oldest: string | null;
  newest: string | null;
  sessions: number;
  /** Live messages of those sessions (archived ones are not counted). */
  messages: number;
  /** Bytes the store takes on disk or in memory; null when it cannot tell for a part of the store. */
  storage_bytes: number | null;
}

export interface MemoryStore {
  readonly kind: 'sqlite' | 'memory' | 'redis' | 'postgres';
  /** The durable background queue living in the same database. */
  readonly tasks: TaskStore;
  /** Summary views and their partition results (core/summary-views.ts). */
  readonly summaryViews: SummaryViewStore;
  /**
   * Set when the store can only be read (a database on read-only media): what every write answers. Reads work;
   * the engine then records no accesses or activity and runs no background work.
   */
  readonly readOnly?: string;
  /**
   * Set when getCachedVectors also finds the vectors of stored memories by the contentHash of the text they were
   * embedded from (IndexedMemory.vectorHash): the embedder then does not cache those a second time.
   */
  readonly keepsMemoryVectors?: boolean;

  /**
   * Records the embedding model and dimension on first use; afterwards a different model or dimension throws a
   * MemoryError('conflict') naming both and the re-embed command.
   */
  ensureEmbeddingModel(model: string, dimension: number): Promise<void>;
  /** The embedding model this store's vectors were made with, or null before the first one is recorded. */
  recordedEmbeddingModel(): Promise<{ model: string; dimension: number } | null>;
  /** Rewrites every memory's vector with `embed` (the re-embed command), then records the new model. */
  reembedAll(
    model: string,
    dimension: number,
    embed: (texts: string[]) => Promise<Float32Array[]>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number>;

  // Long-term memory.
  /**
   * Writes in one transaction. Per item: an existing id is overwritten ('updated'); else, with `deduplicate`, a
   * memory with the same memory_hash in the same namespace and user makes it a 'duplicate'; else 'created'.
   * Resolves only once every written memory is searchable.
   */
  putMemories(items: IndexedMemory[], opts: { deduplicate: boolean }): Promise<PutOutcome[]>;
  /** Records in the order of `ids`; missing ids are left out. */
  getMemories(ids: string[]): Promise<MemoryRecord[]>;
  deleteMemories(ids: string[]): Promise<number>;
  /**
   * Newest first (created_at desc, then id). `count: false` skips counting every filtered memory (paging through
   * all of them needs no total): `total` is then only the number returned.
   */
  listMemories(
    filter: StoreFilter,
    limit: number,
    offset: number,
    opts?: { count?: boolean; order?: ListOrder },
  ): Promise<Page<MemoryRecord>>;
  /**
   * Groups of memories with the same memory_hash, namespace and user (exact duplicates), each oldest first, among
   * the memories of `scope`; with `sinceMs`, only groups holding a memory updated since then.
   */
  duplicateGroups(scope: { namespace?: string; user_id?: string }, sinceMs?: number): Promise<string[][]>;
  /**
   * BM25 over `terms` (weight 1) and `contextTerms` (weight `contextWeight`); OR of the query terms. `total` counts
   * every filtered match, unless `count` is false: then it is only the number of hits returned.
   */
  keywordSearch(
    terms: string[],
    filter: StoreFilter,
    k: number,
    opts?: { contextWeight?: number; count?: boolean },
  ): Promise<Page<KeywordHit>>;
  /**
   * The keyword score, on keywordSearch's scale, of a memory holding each term once at the average length: how much
   * of a query a hit matched is its score over this. Hybrid search uses it so that a hit matching one minor word
   * is not taken for a confident match.
   */
  keywordCeiling(terms: string[]): Promise<number>;
  /**
   * Nearest first; exact, or approximate with the top hits exact in nearly every query. Always honours the filter;
   * `total` counts filtered memories within maxDistance. Zero vectors have no distance and never match.
   * `similarity` (ignored with maxDistance): also the query's SimilarityStats over the filtered memories.
   */
  vectorSearch(
    vector: Float32Array,
    filter: StoreFilter,
    k: number,
    maxDistance?: number,
    opts?: { similarity?: boolean },
  ): Promise<VectorPage>;
  /** Cosine distances from `vector` to the memories `ids` that exist and have a vector. */
  vectorDistances(vector: Float32Array, ids: string[]): Promise<Map<string, number>>;
  /** access_count += 1 and last_accessed = at, for each id. */
  recordAccess(ids: string[], atMs: number): Promise<void>;
  /**
   * A token that changes whenever any process commits a change to the memories or to what searching them returns
   * (create, update, delete, index terms, re-embed, erase), and never returns to an earlier value: the query cache
   * keeps an answer only while it is unchanged. Access writes (recordAccess) leave it as it is. Cheap: one read.
   */
  writeVersion(): Promise<string>;
  countMemories(filter: StoreFilter): Promise<number>;
  /** UTF-8 bytes of the filtered memories' text and content (as JSON), as stored: agent statistics report it. */
  contentBytes(filter: StoreFilter): Promise<number>;
  /** The agents with memories in STM or IM (of one namespace when given): what tier maintenance walks. */
  tieredAgents(scope: { namespace?: string }): Promise<string[]>;
  /** The newest `n` memories of one session (exact namespace, NULL-safe), in insertion order, oldest first. */
  sessionTail(namespace: string | null, sessionId: string, n: number): Promise<MemoryRecord[]>;
  /** Rewrites the keyword-index terms of existing memories (not the records); unknown ids are ignored. */
  setIndexTerms(entries: IndexTerms[]): Promise<void>;
  /**
   * Rebuilds the keyword and tag indexes of every memory from the stored records (`agent-memory rebuild-index`);
   * `termsOf` gets all records in insertion order. Stores whose index is rebuilt otherwise (Redis: rebuildIndex)
   * leave it out.
   */
  rebuildKeywordIndex?(
    termsOf: (records: MemoryRecord[]) => IndexTerms[],
    onProgress?: (done: number, total: number) => void,
    opts?: { onlyIfPending?: boolean },
  ): Promise<number>;
  /** True while an upgrade left the keyword index without the memories' terms: the engine rebuilds it on open. */
  keywordIndexPending?(): Promise<boolean>;

  // Working memory.
  /**
   * Finds the session named by the query. Throws MemoryError('conflict') when the id alone matches sessions in
   * several namespaces/users. Expired sessions are not found. `recentMessagesLimit` returns only the newest N.
   */
  getSession(
    query: SessionQuery,
    opts?: { recentMessagesLimit?: number; touch?: boolean },
  ): Promise<StoredSession | null>;
  /**
   * Replaces the session at `session`'s key (its live messages included; archived messages stay). With
   * `expectedVersion`, throws MemoryError('conflict') unless the stored version matches (a missing session has
   * version 0). A message id already marked extracted keeps that mark. `archivedMessages` (import) are stored
   * archived, before the live ones.
   */
  putSession(
    session: WorkingMemory,
    opts?: { expectedVersion?: number; archivedMessages?: MemoryMessage[] },
  ): Promise<StoredSession>;
  /**
   * Applies a summarization atomically: archives `update.ids`, sets the context and bumps the version. Returns
   * null, changing nothing, when the session is gone or its context is no longer `update.expectedContext`.
   */
  archiveMessages(
    key: SessionKey,
    update: ArchiveUpdate,
    opts?: { recentMessagesLimit?: number },
  ): Promise<StoredSession | null>;
  /** Live and archived messages not yet marked extracted, oldest first. */
  messagesToExtract(key: SessionKey): Promise<MemoryMessage[]>;
  /** Marks messages (live or archived) extracted; returns how many changed. */
  markMessagesExtracted(key: SessionKey, ids: string[]): Promise<number>;
  /**
   * Appends atomically: concurrent appends from any number of processes all land, in commit order; a message
   * whose id is already in the session is skipped. Creates the session at `key` when missing.
   */
  appendMessages(
    key: SessionKey,
    messages: MemoryMessage[],
    opts?: { ttlSeconds?: number | null; recentMessagesLimit?: number },
  ): Promise<AppendResult>;
  deleteSession(query: SessionQuery): Promise<boolean>;
  /** Session ids, most recently updated first, without expired ones. */
  listSessions(
    filter: { namespace?: string | null; user_id?: string | null },
    limit: number,
    offset: number,
  ): Promise<Page<string>>;
  /** Every session (export), with all messages, archived ones in `archived_messages`. */
  allSessions(): AsyncIterable<StoredSession>;
  /** Every memory (export). */
  allMemories(): AsyncIterable<MemoryRecord>;

  // Activity: the history of each memory and the stream of every write.
  appendActivity(events: NewActivity[]): Promise<void>;
  /** Newest first (seq descending), or oldest first when `afterSeq` is given; at most `limit`. */
  listActivity(filter: ActivityFilter, limit: number): Promise<StoredActivity[]>;
  /** Deletes up to `limit` events older than `beforeMs` (oldest first); returns how many. */
  pruneActivity(beforeMs: number, limit: number): Promise<number>;

  /**
   * Removes everything of one user (in one namespace, when given): sessions (all namespaces, archived messages too), memories, activity events,
   * background tasks about them, and the cached vectors of their memories' texts (keyed by contentHash), so that
   * no page, row or key keeps their text. Returns the counts and the content hashes whose vectors were dropped.
   */
  eraseUser(userId: string, namespace: string | undefined): Promise<EraseCounts & { hashes: string[] }>;
  /** Counts for statistics, confined to a namespace and/or user when given. */
  counts(scope: { namespace?: string; user_id?: string }): Promise<StoreCounts>;

  // Embedding cache: content hash → vector, per model.
  getCachedVectors(model: string, hashes: string[]): Promise<Map<string, Float32Array>>;
  putCachedVectors(model: string, entries: [string, Float32Array][]): Promise<void>;

  close(): Promise<void>;
}
