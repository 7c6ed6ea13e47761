import { rmSync } from 'node:fs';
import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import type { MemoryMessage } from '../../models/message.js';
import type { WorkingMemory } from '../../models/working-memory.js';
import { log } from '../../util/log.js';
import type {
  ActivityFilter,
  AppendResult,
  ArchiveUpdate,
  EraseCounts,
  IndexedMemory,
  IndexTerms,
  KeywordHit,
  ListOrder,
  MemoryStore,
  NewActivity,
  Page,
  PutOutcome,
  SessionKey,
  SessionQuery,
  StoreCounts,
  StoredActivity,
  StoredSession,
  VectorPage,
} from '../port.js';
import { AccessWrites } from './access-writes.js';
import { ActivityRepo } from './activity.js';
import { EmbeddingCache } from './embedding-cache.js';
import { ensureEmbeddingModel, reembedAll } from './embedding-model.js';
import { countStore, eraseUser } from './erase-and-count.js';
import { attributeIndexSql, filterSql } from './filter-sql.js';
import { ListUpkeep } from './list-upkeep.js';
import { MemoryRepo } from './memories.js';
import { Meta } from './meta.js';
import { KEYWORD_REBUILD_KEY, migrate } from './migrations.js';
import {
  type Db,
  DEFAULT_BUSY_TIMEOUT_MS,
  isInMemoryPath,
  isWriteRefusal,
  openDatabase,
  type ReadOnlyOpen,
} from './open.js';
import {
  DEFAULT_VECTOR_TUNING,
  keywordCeiling,
  keywordSearch,
  type VectorSearchTuning,
  vectorDistances,
  vectorSearch,
} from './search.js';
import { SearchThread } from './search-thread.js';
import { SessionRepo } from './sessions.js';
import { StatementCache } from './statements.js';
import { SqliteSummaryViewStore } from './summary-views.js';
import { SqliteTaskStore } from './tasks.js';
import { VectorIndex } from './vectors.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for the in-process backend. */
  path: string;
  busyTimeoutMs?: number;
  /** Creates the vector tables up front when the database has none yet. */
  dimension?: number;
  /** SQLITE_SEARCH_THREAD: a file's vector searches run on a worker thread (default true; ignored in memory). */
  searchThread?: boolean;
  /** SQLITE_COMPRESS: store activity bodies, session messages and keyword rows compressed (default true). */
  compress?: boolean;
  /** SQLITE_VECTOR_LISTS_MIN: the store size at which the vector lists are trained (0: never; list-upkeep.ts). */
  vectorListsMin?: number;
  /** AGENT_ATTRIBUTE_PATHS: declared content/metadata paths, each given an expression index. */
  attributePaths?: readonly string[];
}

/**
 * The MemoryStore on SQLite. The in-process backend is this same class on ':memory:' (kind 'memory'), so no store
 * logic exists twice. better-sqlite3 is synchronous; the async signatures are the port's, for other backends.
 */
export class SqliteStore implements MemoryStore {
  readonly kind: 'sqlite' | 'memory';
  private readonly stmts: StatementCache;
  private readonly meta: Meta;
  private readonly vectors: VectorIndex;
  private readonly memories: MemoryRepo;
  private readonly sessions: SessionRepo;
  private readonly cache: EmbeddingCache;
  private readonly activity: ActivityRepo;
  readonly tasks: SqliteTaskStore;
  readonly summaryViews: SqliteSummaryViewStore;
  /** When vector search scans exactly rather than by binary codes; tests and benchmarks change it. */
  vectorTuning: VectorSearchTuning = DEFAULT_VECTOR_TUNING;
  /** Trains the vector lists of a large store and moves codes into them (null when read-only). */
  readonly lists: ListUpkeep | null;
  /** Search accesses, written without waiting for another process's write lock (access-writes.ts). */
  private readonly accessWrites: AccessWrites;

  constructor(
    /** Exposed for diagnostics and tests; the store owns it. */
    readonly db: Db,
    kind: 'sqlite' | 'memory',
    private readonly thread: SearchThread | null = null,
    /** The database file, null in memory (storage statistics). */
    private readonly path: string | null = null,
    /** Set when the database could only be opened read-only (see openDatabase). */
    private readonly readOnlyOpen: ReadOnlyOpen | null = null,
  ) {
    this.kind = kind;
    this.stmts = new StatementCache(db);
    this.meta = new Meta(this.stmts);
    this.vectors = new VectorIndex(db, this.stmts, this.meta);
    this.memories = new MemoryRepo(db, this.stmts, this.vectors);
    this.sessions = new SessionRepo(db, this.stmts);
    this.cache = new EmbeddingCache(db, this.stmts, this.meta, this.vectors);
    this.activity = new ActivityRepo(db, this.stmts);
    this.tasks = new SqliteTaskStore(db, this.stmts);
    this.summaryViews = new SqliteSummaryViewStore(db, this.stmts);
    this.lists = readOnlyOpen ? null : new ListUpkeep(db, this.stmts, this.vectors);
    this.accessWrites = new AccessWrites(db, Number(db.pragma('busy_timeout', { simple: true })), (ids, atMs) =>
      this.memories.recordAccess(ids, atMs),
    );
    // Lists due, or codes left to move by a process that stopped.
    this.lists?.kick();
  }

  /** Creates the vector tables with `dimension` if the database has none yet (the model is recorded later). */
  ensureVectorTables(dimension: number): void {
    if (!this.vectors.current()) this.db.transaction(() => this.vectors.ensure(dimension)).immediate();
  }

  async ensureEmbeddingModel(model: string, dimension: number): Promise<void> {
    ensureEmbeddingModel(this.db, this.stmts, this.meta, this.vectors, model, dimension);
  }

  async recordedEmbeddingModel(): Promise<{ model: string; dimension: number } | null> {
    const model = this.meta.get('embedding_model');
    const dimension = this.meta.getInt('embedding_dimension');
    return model !== undefined && dimension !== undefined ? { model, dimension } : null;
  }

  reembedAll(
    model: string,
    dimension: number,
    embed: (texts: string[]) => Promise<Float32Array[]>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    return reembedAll(this.db, this.stmts, this.meta, this.vectors, model, dimension, embed, onProgress);
  }

  async putMemories(items: IndexedMemory[], opts: { deduplicate: boolean }): Promise<PutOutcome[]> {
    const outcomes = this.memories.put(items, opts.deduplicate);
    this.lists?.kick();
    return outcomes;
  }

  async getMemories(ids: string[]): Promise<MemoryRecord[]> {
    return this.memories.get(ids);
  }

  async deleteMemories(ids: string[]): Promise<number> {
    return this.memories.delete(ids);
  }

  async listMemories(
    filter: StoreFilter,
    limit: number,
    offset: number,
    opts?: { count?: boolean; order?: ListOrder },
  ): Promise<Page<MemoryRecord>> {
    return this.memories.list(filter, limit, offset, opts?.count ?? true, opts?.order);
  }

  async duplicateGroups(scope: { namespace?: string; user_id?: string }, sinceMs?: number): Promise<string[][]> {
    return this.memories.duplicateGroups(scope, sinceMs);
  }

  async keywordSearch(
    terms: string[],
    filter: StoreFilter,
    k: number,
    opts?: { contextWeight?: number; count?: boolean },
  ): Promise<Page<KeywordHit>> {
    return keywordSearch(this.stmts, terms, filter, k, opts?.contextWeight, opts?.count);
  }

  async keywordCeiling(terms: string[]): Promise<number> {
    // Here, not on the search thread: a few index lookups, which would wait there behind the vector half.
    return keywordCeiling(this.db, this.stmts, terms);
  }

  /**
   * `remote` on the search thread, posted at once (before the caller's next statement runs); `local` here when
   * there is no thread, or it has stopped. A MemoryError from the worker is the store's answer and is thrown.
   */
  private async onThread<T>(remote: ((t: SearchThread) => Promise<T>) | null, local: () => T): Promise<T> {
    if (remote && this.thread?.available) {
      try {
        return await remote(this.thread);
      } catch (err) {
        if (err instanceof MemoryError) throw err;
        // The worker stopped: this call, and the next ones, run here.
      }
    }
    return local();
  }

  async vectorSearch(
    vector: Float32Array,
    filter: StoreFilter,
    k: number,
    maxDistance?: number,
    opts?: { similarity?: boolean },
  ): Promise<VectorPage> {
    const similarity = opts?.similarity ?? false;
    // Posted before the first await, so a keyword search the caller starts next runs meanwhile.
    return this.onThread(
      (t) => t.vectorSearch(vector, filter, k, maxDistance, this.vectorTuning, similarity),
      () => vectorSearch(this.stmts, this.vectors, vector, filter, k, maxDistance, this.vectorTuning, similarity),
    );
  }

  /** How many vector lists the live generation has (0 before they are trained). */
  async vectorListCount(): Promise<number> {
    const t = this.vectors.current();
    return (t && this.vectors.listModel(t)?.listParent.length) ?? 0;
  }

  async vectorDistances(vector: Float32Array, ids: string[]): Promise<Map<string, number>> {
    return vectorDistances(this.stmts, this.vectors, vector, ids);
  }

  async recordAccess(ids: string[], atMs: number): Promise<void> {
    this.accessWrites.record(ids, atMs);
  }

  async writeVersion(): Promise<string> {
    // Bumped inside every memory write transaction (meta.ts bumpWriteVersion), by any process on this file.
    return this.meta.get('write_version') ?? '0';
  }

  async countMemories(filter: StoreFilter): Promise<number> {
    return this.memories.count(filter);
  }

  async contentBytes(filter: StoreFilter): Promise<number> {
    const f = filterSql(filter);
    const row = this.stmts
      .get(
        `SELECT COALESCE(SUM(length(CAST(m.text AS BLOB)) + COALESCE(length(CAST(m.content AS BLOB)), 0)), 0) AS b FROM memories m WHERE ${f.where}`,
      )
      .get(...f.params) as { b: number };
    return row.b;
  }

  async tieredAgents(scope: { namespace?: string }): Promise<string[]> {
    const ns = scope.namespace !== undefined;
    const rows = this.stmts
      .get(
        `SELECT DISTINCT agent_id FROM memories WHERE memory_tier IN ('stm', 'im') AND agent_id IS NOT NULL${ns ? ' AND namespace = ?' : ''} ORDER BY agent_id`,
      )
      .all(...(ns ? [scope.namespace] : [])) as { agent_id: string }[];
    return rows.map((r) => r.agent_id);
  }

  async sessionTail(namespace: string | null, sessionId: string, n: number): Promise<MemoryRecord[]> {
    return this.memories.sessionTail(namespace, sessionId, n);
  }

  async rebuildKeywordIndex(
    termsOf: (records: MemoryRecord[]) => IndexTerms[],
    onProgress?: (done: number, total: number) => void,
    opts?: { onlyIfPending?: boolean },
  ): Promise<number> {
    return this.memories.rebuildKeywordIndex(termsOf, onProgress, opts);
  }

  async keywordIndexPending(): Promise<boolean> {
    return this.meta.get(KEYWORD_REBUILD_KEY) !== undefined;
  }

  async setIndexTerms(entries: IndexTerms[]): Promise<void> {
    this.memories.setIndexTerms(entries);
  }

  async getSession(
    query: SessionQuery,
    opts?: { recentMessagesLimit?: number; touch?: boolean },
  ): Promise<StoredSession | null> {
    return this.sessions.get(query, opts);
  }

  async putSession(
    session: WorkingMemory,
    opts?: { expectedVersion?: number; archivedMessages?: MemoryMessage[] },
  ): Promise<StoredSession> {
    return this.sessions.put(session, opts?.expectedVersion, opts?.archivedMessages);
  }

  async archiveMessages(
    key: SessionKey,
    update: ArchiveUpdate,
    opts?: { recentMessagesLimit?: number },
  ): Promise<StoredSession | null> {
    return this.sessions.archive(key, update, opts?.recentMessagesLimit);
  }

  async messagesToExtract(key: SessionKey): Promise<MemoryMessage[]> {
    return this.sessions.toExtract(key);
  }

  async markMessagesExtracted(key: SessionKey, ids: string[]): Promise<number> {
    return this.sessions.markExtracted(key, ids);
  }

  async appendMessages(
    key: SessionKey,
    messages: MemoryMessage[],
    opts?: { ttlSeconds?: number | null; recentMessagesLimit?: number },
  ): Promise<AppendResult> {
    return this.sessions.append(key, messages, opts);
  }

  async deleteSession(query: SessionQuery): Promise<boolean> {
    return this.sessions.delete(query);
  }

  async listSessions(
    filter: { namespace?: string | null; user_id?: string | null },
    limit: number,
    offset: number,
  ): Promise<Page<string>> {
    return this.sessions.list(filter, limit, offset);
  }

  allSessions(): AsyncIterable<StoredSession> {
    return this.sessions.all();
  }

  allMemories(): AsyncIterable<MemoryRecord> {
    return this.memories.all();
  }

  async getCachedVectors(model: string, hashes: string[]): Promise<Map<string, Float32Array>> {
    return this.cache.get(model, hashes);
  }

  async putCachedVectors(model: string, entries: [string, Float32Array][]): Promise<void> {
    this.cache.put(model, entries);
  }

  async appendActivity(events: NewActivity[]): Promise<void> {
    this.activity.append(events);
  }

  async listActivity(filter: ActivityFilter, limit: number): Promise<StoredActivity[]> {
    return this.activity.list(filter, limit);
  }

  async pruneActivity(beforeMs: number, limit: number): Promise<number> {
    return this.activity.prune(beforeMs, limit);
  }

  async eraseUser(userId: string, namespace: string | undefined): Promise<EraseCounts & { hashes: string[] }> {
    return eraseUser(this.db, this.stmts, this.memories, userId, namespace);
  }

  async counts(scope: { namespace?: string; user_id?: string }): Promise<StoreCounts> {
    return countStore(this.db, this.stmts, this.path, scope);
  }

  /** The vector tables keep the hash of each vector's text, and the embedding cache reads them (embedding-cache.ts). */
  readonly keepsMemoryVectors = true;

  set compress(on: boolean) {
    this.activity.compress = on;
    this.sessions.compress = on;
    this.memories.keywords.compress = on;
  }

  get readOnly(): string | undefined {
    return this.readOnlyOpen ? readOnlyMessage(this.path ?? '', this.readOnlyOpen) : undefined;
  }

  async close(): Promise<void> {
    if (this.db.open && !this.readOnlyOpen) this.accessWrites.close();
    await this.lists?.close();
    await this.thread?.close();
    if (this.db.open) this.db.close();
    if (this.readOnlyOpen?.copyDir) rmSync(this.readOnlyOpen.copyDir, { recursive: true, force: true });
  }
}

const readOnlyMessage = (path: string, open: ReadOnlyOpen) =>
  `The database SQLITE_PATH=${path} is open read-only (${open.reason}): search, list, get and export work, ` +
  'writes are refused. To write, give this user write access to the file and its folder, or copy it somewhere ' +
  'writable and point SQLITE_PATH there, then restart.';

/**
 * The store with every SQLite "read-only" failure turned into the message saying why and what to do, so that a
 * write to a read-only database is a clear 503 on every route and tool rather than a raw SqliteError.
 */
function refusingWrites<T extends object>(target: T, message: string): T {
  const translate = (err: unknown) => (isWriteRefusal(err) ? new MemoryError('unavailable', message) : err);
  return new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key, t);
      if ((key === 'tasks' || key === 'summaryViews') && value !== null && typeof value === 'object')
        return refusingWrites(value, message);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const result = value.apply(t, args);
          return result instanceof Promise
            ? result.catch((err: unknown) => {
                throw translate(err);
              })
            : result;
        } catch (err) {
          throw translate(err);
        }
      };
    },
  });
}

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const { db, readOnly } = openDatabase(opts.path, opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  try {
    try {
      migrate(db);
    } catch (err) {
      if (!(readOnly && isWriteRefusal(err))) throw err;
      throw new MemoryError(
        'unavailable',
        `The database SQLITE_PATH=${opts.path} was written by an older version of agent-memory and cannot be ` +
          `upgraded where it is (${readOnly.reason}): open it once where it can be written, or copy it somewhere writable.`,
      );
    }
    const inMemory = isInMemoryPath(opts.path);
    const busy = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const threadPath = readOnly?.path ?? opts.path;
    const thread = !inMemory && (opts.searchThread ?? true) ? new SearchThread(threadPath, busy) : null;
    const store = new SqliteStore(db, inMemory ? 'memory' : 'sqlite', thread, inMemory ? null : opts.path, readOnly);
    store.compress = opts.compress ?? true;
    if (store.lists && opts.vectorListsMin !== undefined) {
      store.lists.tuning = { ...store.lists.tuning, minMemories: opts.vectorListsMin };
    }
    if (!readOnly) {
      for (const sql of attributeIndexSql(opts.attributePaths ?? [])) db.exec(sql);
      if (opts.dimension !== undefined) store.ensureVectorTables(opts.dimension);
      return store;
    }
    log.warn(store.readOnly ?? '');
    return refusingWrites(store, store.readOnly ?? '');
  } catch (err) {
    db.close();
    if (readOnly?.copyDir) rmSync(readOnly.copyDir, { recursive: true, force: true });
    throw err;
  }
}
