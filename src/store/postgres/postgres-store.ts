import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import type { MemoryMessage } from '../../models/message.js';
import type { WorkingMemory } from '../../models/working-memory.js';
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
import type { SummaryViewStore } from '../summary-views.js';
import type { TaskStore } from '../tasks.js';
import { ActivityRepo } from './activity.js';
import { asStoreError, type ConnectionOptions, connectClient, Db, quotedSchema } from './client.js';
import { EmbeddingCache } from './embedding-cache.js';
import { ensureEmbeddingModel, recordedModel, reembedAll } from './embedding-model.js';
import { countStore, eraseUser } from './erase-and-count.js';
import type { VectorCapabilities } from './extension.js';
import { attributeIndexSql, filterSql, Params } from './filter-sql.js';
import { DEFAULT_CONTEXT_WEIGHT, keywordCeiling, keywordSearch } from './keyword-search.js';
import { MemoryRepo } from './memories.js';
import { readWriteVersion } from './meta.js';
import { migrate } from './migrations.js';
import { SCHEMA_NAME } from './schema-name.js';
import { SessionRepo } from './sessions.js';
import { PostgresSummaryViewStore } from './summary-views.js';
import { PostgresTaskStore } from './tasks.js';
import { checkDatabaseUrl, redactDatabaseUrl } from './url.js';
import { DEFAULT_VECTOR_TUNING, type VectorSearchTuning, vectorDistances, vectorSearch } from './vector-search.js';
import { VectorIndex } from './vectors.js';

export type PostgresStoreOptions = ConnectionOptions & {
  /** AGENT_ATTRIBUTE_PATHS: declared content/metadata paths, each given expression indexes. */
  attributePaths?: readonly string[];
};

/** hnsw.ef_search: how many neighbours the index keeps looking at; above the 64 candidates a search asks for. */
const EF_SEARCH = 100;

/** What every pooled connection sets before its first statement. */
function sessionStatements(schema: string | null, vector: VectorCapabilities): string[] {
  const out: string[] = [];
  // Prepended, so that the schema holding the vector extension (public, or e.g. `extensions`) stays on the path.
  if (schema) out.push(`SELECT set_config('search_path', '${schema}, ' || current_setting('search_path'), false)`);
  out.push(`SET hnsw.ef_search = ${EF_SEARCH}`);
  // A filtered HNSW scan then goes on past ef_search until the LIMIT is met; the order it returns is re-sorted by
  // exact distance anyway, so the relaxed (faster) order is enough.
  if (vector.iterativeScan) out.push("SET hnsw.iterative_scan = 'relaxed_order'");
  return out;
}

const UNDEFINED_TABLE = '42P01';

/** Wraps every method of `target` so that its failures become the store's errors (see asStoreError). */
function guarded<T extends object>(target: T, where: string): T {
  return new Proxy(target, {
    get(t, key) {
      const value = Reflect.get(t, key, t);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(t, args);
        } catch (err) {
          throw asStoreError(err, where);
        }
      };
    },
  });
}

/**
 * The MemoryStore on PostgreSQL with pgvector, for several servers and workers sharing one database. Every write
 * is one transaction; concurrent writers of one session take turns on its row lock, task claims skip each other's
 * locked rows, and migrations and vector generation swaps run under advisory locks (locks.ts). Fails with
 * MemoryError('unavailable') while the database cannot be reached, and works again once it can.
 */
export class PostgresStore implements MemoryStore {
  readonly kind = 'postgres' as const;
  readonly tasks: TaskStore;
  readonly summaryViews: SummaryViewStore;
  /** When vector search scans exactly rather than through HNSW; tests change it to exercise the index. */
  vectorTuning: VectorSearchTuning = DEFAULT_VECTOR_TUNING;
  private readonly memories: MemoryRepo;
  private readonly sessions: SessionRepo;
  private readonly cache: EmbeddingCache;
  private readonly activity: ActivityRepo;

  constructor(
    /** Exposed for diagnostics and tests; the store owns it. */
    readonly db: Db,
    private readonly vectors: VectorIndex,
    readonly schema: string | null,
  ) {
    this.memories = new MemoryRepo(db, vectors);
    this.sessions = new SessionRepo(db);
    this.cache = new EmbeddingCache(db);
    this.activity = new ActivityRepo(db);
    this.tasks = guarded(new PostgresTaskStore(db), db.redactedUrl);
    this.summaryViews = guarded(new PostgresSummaryViewStore(db), db.redactedUrl);
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asStoreError(err, this.db.redactedUrl);
    }
  }

  /** A search that read the live generation just before a re-embed dropped it: once more, on the new one. */
  private async onVectors<T>(fn: () => Promise<T>): Promise<T> {
    return this.guard(async () => {
      try {
        return await fn();
      } catch (err) {
        if ((err as { code?: string }).code !== UNDEFINED_TABLE) throw err;
        return fn();
      }
    });
  }

  private async *guardIter<T>(iter: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* iter;
    } catch (err) {
      throw asStoreError(err, this.db.redactedUrl);
    }
  }

  ensureEmbeddingModel(model: string, dimension: number): Promise<void> {
    return this.guard(() => ensureEmbeddingModel(this.db, this.vectors, model, dimension));
  }

  recordedEmbeddingModel(): Promise<{ model: string; dimension: number } | null> {
    return this.guard(() => recordedModel(this.db));
  }

  reembedAll(
    model: string,
    dimension: number,
    embed: (texts: string[]) => Promise<Float32Array[]>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    return this.guard(() => reembedAll(this.db, this.db.opts, this.vectors, model, dimension, embed, onProgress));
  }

  putMemories(items: IndexedMemory[], opts: { deduplicate: boolean }): Promise<PutOutcome[]> {
    return this.onVectors(() => this.memories.put(items, opts.deduplicate));
  }

  getMemories(ids: string[]): Promise<MemoryRecord[]> {
    return this.guard(() => this.memories.get(ids));
  }

  deleteMemories(ids: string[]): Promise<number> {
    return this.guard(() => this.memories.delete(ids));
  }

  listMemories(filter: StoreFilter, limit: number, offset: number, opts?: { count?: boolean; order?: ListOrder }) {
    return this.guard(() => this.memories.list(filter, limit, offset, opts?.count ?? true, opts?.order));
  }

  duplicateGroups(scope: { namespace?: string; user_id?: string }, sinceMs?: number): Promise<string[][]> {
    return this.guard(() => this.memories.duplicateGroups(scope, sinceMs));
  }

  keywordSearch(
    terms: string[],
    filter: StoreFilter,
    k: number,
    opts?: { contextWeight?: number; count?: boolean },
  ): Promise<Page<KeywordHit>> {
    return this.guard(() =>
      keywordSearch(this.db, terms, filter, k, opts?.contextWeight ?? DEFAULT_CONTEXT_WEIGHT, opts?.count ?? true),
    );
  }

  keywordCeiling(terms: string[]): Promise<number> {
    return this.guard(() => keywordCeiling(this.db, terms));
  }

  vectorSearch(
    vector: Float32Array,
    filter: StoreFilter,
    k: number,
    maxDistance?: number,
    opts?: { similarity?: boolean },
  ): Promise<VectorPage> {
    return this.onVectors(() =>
      vectorSearch(
        this.db,
        this.vectors,
        vector,
        filter,
        k,
        maxDistance,
        this.vectorTuning,
        maxDistance === undefined && (opts?.similarity ?? false),
      ),
    );
  }

  vectorDistances(vector: Float32Array, ids: string[]): Promise<Map<string, number>> {
    return this.onVectors(() => vectorDistances(this.db, this.vectors, vector, ids));
  }

  recordAccess(ids: string[], atMs: number): Promise<void> {
    return this.guard(() => this.memories.recordAccess(ids, atMs));
  }

  writeVersion(): Promise<string> {
    // Bumped inside every memory write transaction (meta.ts bumpWriteVersion), by any process on this schema.
    return this.guard(() => readWriteVersion(this.db));
  }

  countMemories(filter: StoreFilter): Promise<number> {
    return this.guard(() => this.memories.count(filter));
  }

  contentBytes(filter: StoreFilter): Promise<number> {
    return this.guard(async () => {
      const p = new Params();
      const f = filterSql(filter, p);
      const row = await this.db.one<{ b: string | number }>(
        `SELECT COALESCE(SUM(octet_length(m.text) + COALESCE(octet_length(m.content), 0)), 0) AS b FROM memories m WHERE ${f.where}`,
        p.values,
      );
      return Number(row?.b ?? 0);
    });
  }

  tieredAgents(scope: { namespace?: string }): Promise<string[]> {
    return this.guard(async () => {
      const ns = scope.namespace !== undefined;
      const rows = await this.db.rows<{ agent_id: string }>(
        `SELECT DISTINCT agent_id FROM memories WHERE memory_tier IN ('stm', 'im') AND agent_id IS NOT NULL${ns ? ' AND namespace = $1' : ''} ORDER BY agent_id`,
        ns ? [scope.namespace] : [],
      );
      return rows.map((r) => r.agent_id);
    });
  }

  sessionTail(namespace: string | null, sessionId: string, n: number): Promise<MemoryRecord[]> {
    return this.guard(() => this.memories.sessionTail(namespace, sessionId, n));
  }

  setIndexTerms(entries: IndexTerms[]): Promise<void> {
    return this.guard(() => this.memories.setIndexTerms(entries));
  }

  rebuildKeywordIndex(
    termsOf: (records: MemoryRecord[]) => IndexTerms[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    return this.guard(() => this.memories.rebuildKeywordIndex(termsOf, onProgress));
  }

  getSession(query: SessionQuery, opts?: { recentMessagesLimit?: number; touch?: boolean }) {
    return this.guard(() => this.sessions.get(query, opts));
  }

  putSession(
    session: WorkingMemory,
    opts?: { expectedVersion?: number; archivedMessages?: MemoryMessage[] },
  ): Promise<StoredSession> {
    return this.guard(() => this.sessions.put(session, opts?.expectedVersion, opts?.archivedMessages));
  }

  archiveMessages(key: SessionKey, update: ArchiveUpdate, opts?: { recentMessagesLimit?: number }) {
    return this.guard(() => this.sessions.archive(key, update, opts?.recentMessagesLimit));
  }

  messagesToExtract(key: SessionKey): Promise<MemoryMessage[]> {
    return this.guard(() => this.sessions.toExtract(key));
  }

  markMessagesExtracted(key: SessionKey, ids: string[]): Promise<number> {
    return this.guard(() => this.sessions.markExtracted(key, ids));
  }

  appendMessages(
    key: SessionKey,
    messages: MemoryMessage[],
    opts?: { ttlSeconds?: number | null; recentMessagesLimit?: number },
  ): Promise<AppendResult> {
    return this.guard(() => this.sessions.append(key, messages, opts));
  }

  deleteSession(query: SessionQuery): Promise<boolean> {
    return this.guard(() => this.sessions.delete(query));
  }

  listSessions(
    filter: { namespace?: string | null; user_id?: string | null },
    limit: number,
    offset: number,
  ): Promise<Page<string>> {
    return this.guard(() => this.sessions.list(filter, limit, offset));
  }

  allSessions(): AsyncIterable<StoredSession> {
    return this.guardIter(this.sessions.all());
  }

  allMemories(): AsyncIterable<MemoryRecord> {
    return this.guardIter(this.memories.all());
  }

  appendActivity(events: NewActivity[]): Promise<void> {
    return this.guard(() => this.activity.append(events));
  }

  listActivity(filter: ActivityFilter, limit: number): Promise<StoredActivity[]> {
    return this.guard(() => this.activity.list(filter, limit));
  }

  pruneActivity(beforeMs: number, limit: number): Promise<number> {
    return this.guard(() => this.activity.prune(beforeMs, limit));
  }

  eraseUser(userId: string, namespace: string | undefined): Promise<EraseCounts & { hashes: string[] }> {
    return this.guard(() => eraseUser(this.db, userId, namespace));
  }

  counts(scope: { namespace?: string; user_id?: string }): Promise<StoreCounts> {
    return this.guard(() => countStore(this.db, scope));
  }

  getCachedVectors(model: string, hashes: string[]): Promise<Map<string, Float32Array>> {
    return this.guard(() => this.cache.get(model, hashes));
  }

  putCachedVectors(model: string, entries: [string, Float32Array][]): Promise<void> {
    return this.guard(() => this.cache.put(model, entries));
  }

  /** Drops the store's schema with everything in it (tests); refused for a store without a schema of its own. */
  async destroy(): Promise<void> {
    if (!this.schema)
      throw new MemoryError('invalid', 'only a store in its own schema (POSTGRES_SCHEMA) can be destroyed');
    await this.guard(() => this.db.run(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`));
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Connects, checks the pgvector extension (creating it when the server has it), migrates the schema, then opens
 * the pool. Fails with MemoryError('unavailable') naming the server (without its password) and what to do.
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  checkDatabaseUrl(opts.url);
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new MemoryError(
      'invalid',
      `POSTGRES_SCHEMA=${JSON.stringify(opts.schema)}: expected a plain identifier (letters, digits, _; at most 63)`,
    );
  }
  const where = redactDatabaseUrl(opts.url);
  const schema = quotedSchema(opts.schema);
  const { client, sql } = await connectClient(opts);
  let vector: VectorCapabilities;
  try {
    await sql.run('BEGIN');
    try {
      ({ vector } = await migrate(sql, schema, where));
      for (const stmt of attributeIndexSql(opts.attributePaths ?? [])) await sql.run(stmt);
      await sql.run('COMMIT');
    } catch (err) {
      await sql.run('ROLLBACK').catch(() => {});
      throw err;
    }
  } catch (err) {
    throw asStoreError(err, where);
  } finally {
    await client.end().catch(() => {});
  }
  const db = new Db(opts, sessionStatements(schema, vector));
  return new PostgresStore(db, new VectorIndex(vector), schema);
}
