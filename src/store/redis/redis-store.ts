import { Cluster } from 'ioredis';
import { MemoryError } from '../../errors.js';
import { isAgentMemoryType } from '../../models/agent.js';
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
  ListOrder,
  MemoryStore,
  NewActivity,
  SessionKey,
  SessionQuery,
  StoreCounts,
  StoredActivity,
} from '../port.js';
import { ActivityRepo } from './activity.js';
import { asStoreError, type ConnectOptions, connect, createClient, type RedisClient } from './client.js';
import { EmbeddingCache } from './embedding-cache.js';
import { EmbeddingModel } from './embedding-model.js';
import { countStore, duplicateGroups, eraseUser } from './erase-and-count.js';
import { globPrefix, Keys } from './keys.js';
import { KeywordSearch } from './keyword-search.js';
import { KeywordStats } from './keyword-stats.js';
import { MemoryRepo } from './memories.js';
import { BUMP_WRITE_VERSION } from './memory-scripts.js';
import { tagValue } from './query-escape.js';
import { scanKeys } from './scan.js';
import { ScriptRunner } from './scripts.js';
import { Search } from './search.js';
import {
  CLUSTER_SEARCH_MESSAGE,
  detectSearch,
  MIN_SEARCH_VERSION,
  NO_SEARCH_MESSAGE,
  SearchIndex,
} from './search-index.js';
import { SessionRepo } from './sessions.js';
import { RedisSummaryViewStore } from './summary-views.js';
import { RedisTaskStore } from './tasks.js';

export const DEFAULT_KEY_PREFIX = 'agent-memory';

export interface RedisStoreOptions extends ConnectOptions {
  url: string;
  /** Keys start with `{prefix}:`; several stores can share one Redis under different prefixes. */
  keyPrefix?: string;
  /**
   * Refuse to open without the search module (default true). Tests of working memory, the embedding cache and
   * reconnection set it false to run on a plain Redis; long-term memory calls then fail as unavailable.
   */
  requireSearch?: boolean;
  /** AGENT_ATTRIBUTE_PATHS: declared content/metadata paths, indexed as fields of the search index. */
  attributePaths?: readonly string[];
}

/**
 * The MemoryStore on Redis, for several stateless servers sharing one store. Long-term memories are hashes under
 * a RediSearch index; working memory is hashes, lists and sets kept consistent by Lua scripts (see
 * session-scripts.ts and memory-scripts.ts). Every call fails fast with MemoryError('unavailable') while Redis
 * is down and works again once it is back, without a restart.
 */
export class RedisStore implements MemoryStore {
  readonly kind = 'redis' as const;
  readonly keys: Keys;
  private readonly scripts: ScriptRunner;
  private readonly memories: MemoryRepo;
  private readonly sessions: SessionRepo;
  private readonly cache: EmbeddingCache;
  private readonly model: EmbeddingModel;
  private readonly searcher: Search;
  /** Keyword search; exposed for tests, which lower its scan bound. */
  readonly keywords: KeywordSearch;
  /** The term statistics keyword ranking needs (keyword-stats.ts). */
  readonly keywordStats: KeywordStats;
  private readonly activity: ActivityRepo;
  readonly tasks: RedisTaskStore;
  readonly summaryViews: RedisSummaryViewStore;

  constructor(
    /** Exposed for diagnostics and tests; the store owns it. */
    readonly client: RedisClient,
    private readonly url: string,
    readonly index: SearchIndex,
    keys: Keys,
  ) {
    this.keys = keys;
    this.scripts = new ScriptRunner(client);
    this.keywordStats = new KeywordStats(client, keys, this.scripts);
    this.memories = new MemoryRepo(client, keys, this.scripts, index, this.keywordStats);
    this.sessions = new SessionRepo(client, keys, this.scripts);
    this.cache = new EmbeddingCache(client, keys);
    this.model = new EmbeddingModel(client, keys, this.scripts, index);
    this.searcher = new Search(client, keys, index, this.memories);
    this.keywords = new KeywordSearch(client, keys, index, this.memories, this.keywordStats);
    this.tasks = new RedisTaskStore(client, keys, this.scripts, (fn) => this.guard(fn));
    this.activity = new ActivityRepo(client, keys, this.scripts);
    this.summaryViews = new RedisSummaryViewStore(client, keys, this.scripts, (fn) => this.guard(fn));
  }

  private get parts() {
    return {
      client: this.client,
      keys: this.keys,
      memories: this.memories,
      sessions: this.sessions,
      activity: this.activity,
      tasks: this.tasks,
    };
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
    return this.guard(() => eraseUser(this.parts, userId, namespace));
  }

  counts(scope: { namespace?: string; user_id?: string }): Promise<StoreCounts> {
    return this.guard(() => countStore(this.parts, scope));
  }

  /** Runs a store call, turning connection failures into MemoryError('unavailable'). */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asStoreError(err, this.url);
    }
  }

  private async *guardIter<T>(iter: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* iter;
    } catch (err) {
      throw asStoreError(err, this.url);
    }
  }

  ensureEmbeddingModel(model: string, dimension: number) {
    return this.guard(() => this.model.ensure(model, dimension));
  }

  recordedEmbeddingModel() {
    return this.guard(() => this.model.recorded());
  }

  reembedAll(
    model: string,
    dimension: number,
    embed: (texts: string[]) => Promise<Float32Array[]>,
    onProgress?: (done: number, total: number) => void,
  ) {
    return this.guard(() => this.model.reembedAll(model, dimension, embed, onProgress));
  }

  putMemories(items: IndexedMemory[], opts: { deduplicate: boolean }) {
    return this.guard(() => this.memories.put(items, opts.deduplicate));
  }

  getMemories(ids: string[]) {
    return this.guard(() => this.memories.get(ids));
  }

  deleteMemories(ids: string[]) {
    return this.guard(() => this.memories.delete(ids));
  }

  duplicateGroups(scope: { namespace?: string; user_id?: string }, sinceMs?: number): Promise<string[][]> {
    return this.guard(() => duplicateGroups(this.parts, scope, sinceMs));
  }

  listMemories(filter: StoreFilter, limit: number, offset: number, opts?: { count?: boolean; order?: ListOrder }) {
    return this.guard(() => this.memories.list(filter, limit, offset, opts?.count ?? true, opts?.order));
  }

  keywordSearch(terms: string[], filter: StoreFilter, k: number, opts?: { contextWeight?: number; count?: boolean }) {
    return this.guard(() => this.keywords.search(terms, filter, k, opts?.contextWeight, opts?.count));
  }

  keywordCeiling(terms: string[]) {
    return this.guard(() => this.keywords.ceiling(terms));
  }

  vectorSearch(
    vector: Float32Array,
    filter: StoreFilter,
    k: number,
    maxDistance?: number,
    opts?: { similarity?: boolean },
  ) {
    return this.guard(() => this.searcher.vector(vector, filter, k, maxDistance, opts?.similarity));
  }

  vectorDistances(vector: Float32Array, ids: string[]) {
    return this.guard(() => this.searcher.distances(vector, ids));
  }

  recordAccess(ids: string[], atMs: number) {
    return this.guard(() => this.memories.recordAccess(ids, atMs));
  }

  writeVersion(): Promise<string> {
    // INCR'd by every memory write script (memory-scripts.ts), by any process on this store.
    return this.guard(async () => (await this.client.get(this.keys.writeVersion)) ?? '0');
  }

  /** Bumps the write version after maintenance that rewrites what searches return without a memory write script. */
  bumpWriteVersion(): Promise<void> {
    return this.guard(async () => {
      await this.scripts.run(BUMP_WRITE_VERSION, [this.keys.writeVersion], []);
    });
  }

  countMemories(filter: StoreFilter) {
    return this.guard(() => this.memories.count(filter));
  }

  contentBytes(filter: StoreFilter) {
    return this.guard(() => this.memories.contentBytes(filter));
  }

  tieredAgents(scope: { namespace?: string }) {
    return this.guard(() => this.memories.tieredAgents(scope));
  }

  sessionTail(namespace: string | null, sessionId: string, n: number) {
    return this.guard(() => this.memories.sessionTail(namespace, sessionId, n));
  }

  setIndexTerms(entries: IndexTerms[]) {
    return this.guard(() => this.memories.setIndexTerms(entries));
  }

  getSession(query: SessionQuery, opts?: { recentMessagesLimit?: number; touch?: boolean }) {
    return this.guard(() => this.sessions.get(query, opts));
  }

  putSession(session: WorkingMemory, opts?: { expectedVersion?: number; archivedMessages?: MemoryMessage[] }) {
    return this.guard(() => this.sessions.put(session, opts?.expectedVersion, opts?.archivedMessages));
  }

  archiveMessages(key: SessionKey, update: ArchiveUpdate, opts?: { recentMessagesLimit?: number }) {
    return this.guard(() => this.sessions.archive(key, update, opts?.recentMessagesLimit));
  }

  messagesToExtract(key: SessionKey) {
    return this.guard(() => this.sessions.toExtract(key));
  }

  markMessagesExtracted(key: SessionKey, ids: string[]) {
    return this.guard(() => this.sessions.markExtracted(key, ids));
  }

  appendMessages(
    key: SessionKey,
    messages: MemoryMessage[],
    opts?: { ttlSeconds?: number | null; recentMessagesLimit?: number },
  ): Promise<AppendResult> {
    return this.guard(() => this.sessions.append(key, messages, opts));
  }

  deleteSession(query: SessionQuery) {
    return this.guard(() => this.sessions.delete(query));
  }

  listSessions(filter: { namespace?: string | null; user_id?: string | null }, limit: number, offset: number) {
    return this.guard(() => this.sessions.list(filter, limit, offset));
  }

  allSessions() {
    return this.guardIter(this.sessions.all());
  }

  allMemories(): AsyncIterable<MemoryRecord> {
    return this.guardIter(this.memories.all());
  }

  getCachedVectors(model: string, hashes: string[]) {
    return this.guard(() => this.cache.get(model, hashes));
  }

  putCachedVectors(model: string, entries: [string, Float32Array][]) {
    return this.guard(() => this.cache.put(model, entries));
  }

  /**
   * Drops the live search index and builds it again from the memory hashes (`agent-memory rebuild-index`):
   * after a schema change (INDEX_VERSION), or to repair an index. The keyword statistics are counted again too
   * (repairing them if a process of an older version wrote meanwhile). Memories stay; searches see a partial
   * index until it finishes. Returns how many memories it indexed.
   */
  rebuildIndex(onProgress?: (fraction: number) => void): Promise<number> {
    return this.guard(async () => {
      this.index.requireSearch();
      const g = await this.index.current();
      if (!g) return 0;
      await this.index.drop(g.index);
      await this.index.ensure(g);
      await this.index.waitIndexed(g.index, onProgress);
      await this.keywordStats.rebuild();
      await this.scripts.run(BUMP_WRITE_VERSION, [this.keys.writeVersion], []);
      return Number(((await this.client.call('FT.SEARCH', g.index, '*', 'LIMIT', 0, 0)) as unknown[])[0]);
    });
  }

  /** Deletes every key of this store and its indexes. For tests and `reset` tooling; never called by the server. */
  async destroy(): Promise<void> {
    await this.guard(async () => {
      if (this.index.available) {
        const indexes = (await this.client.call('FT._LIST')) as string[];
        for (const name of indexes) if (name.startsWith(this.keys.base)) await this.index.drop(name);
      }
      for await (const batch of scanKeys(this.client, globPrefix(this.keys.base))) await this.client.del(...batch);
    });
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

/**
 * Connects and checks the server. Without the search module it refuses to start (saying which Redis to use),
 * unless `requireSearch: false`. An index of an older INDEX_VERSION is rebuilt beside the data.
 */
export async function openRedisStore(opts: RedisStoreOptions): Promise<RedisStore> {
  const client = createClient(opts.url, opts);
  await connect(client, opts.url);
  try {
    // On a Cluster, FT.* commands would reach whichever node ioredis picks, not the one holding the store's slot.
    const clustered = client instanceof Cluster;
    const search = clustered ? { available: false } : await detectSearch(client);
    const noSearch = clustered ? CLUSTER_SEARCH_MESSAGE : NO_SEARCH_MESSAGE;
    if (!search.available && opts.requireSearch !== false) throw new MemoryError('unavailable', noSearch);
    if (search.version !== undefined && search.version < MIN_SEARCH_VERSION) {
      throw new MemoryError(
        'unavailable',
        `${NO_SEARCH_MESSAGE} This one has search module version ${search.version}.`,
      );
    }
    const keys = new Keys(opts.keyPrefix ?? DEFAULT_KEY_PREFIX);
    const store = new RedisStore(
      client,
      opts.url,
      new SearchIndex(client, keys, search.available, noSearch, opts.attributePaths ?? []),
      keys,
    );
    if (search.available) {
      await upgradeIndex(store);
      await countKeywordStats(store);
    }
    return store;
  } catch (err) {
    client.disconnect();
    throw asStoreError(err, opts.url);
  }
}

/** Creates the current INDEX_VERSION's index when the store was indexed by another version, then drops the old. */
async function upgradeIndex(store: RedisStore): Promise<void> {
  const meta = store.keys.meta;
  const recorded = await store.client.hget(meta, 'index_version');
  const version = store.index.version;
  if (recorded === version) return;
  const g = await store.index.current();
  if (g && recorded !== null) {
    log.info('Building the Redis search index for this version of agent-memory', { from: recorded, to: version });
    const old = store.keys.index(recorded, g.gen);
    await store.index.drop(old);
    if (Number.parseInt(recorded, 10) < 3) await backfillTiers(store);
  }
  await store.client.hset(meta, 'index_version', version);
  // Rewritten memories and a new index: other processes' cached answers go.
  await store.bumpWriteVersion();
}

/**
 * Agent memories written before tiers (index version 2) are full detail: they become STM from their own step, as
 * the SQL stores' migrations make them. Only those hashes are rewritten, the `doc` and the two indexed fields.
 */
async function backfillTiers(store: RedisStore): Promise<void> {
  let updated = 0;
  let pipe = store.client.pipeline();
  for await (const r of store.allMemories()) {
    if (!isAgentMemoryType(r.memory_type) || r.memory_tier !== undefined) continue;
    const key = store.keys.memory(r.id);
    const doc = await store.client.hget(key, 'doc');
    if (!doc) continue;
    const tierStep = r.step_number ?? 0;
    pipe.hset(key, {
      doc: JSON.stringify({ ...JSON.parse(doc), memory_tier: 'stm', tier_step: tierStep }),
      memory_tier: tagValue('stm'),
      tier_step: String(tierStep),
    });
    if (++updated % 500 === 0) {
      await pipe.exec();
      pipe = store.client.pipeline();
    }
  }
  await pipe.exec();
  if (updated) log.info('Agent memories written before tiers are now STM', { updated });
}

/**
 * Counts the memories of a store written before keyword statistics existed (once; other processes opening
 * meanwhile wait for it), so that every search after open ranks by complete statistics.
 */
async function countKeywordStats(store: RedisStore): Promise<void> {
  const started = Date.now();
  const counted = await store.keywordStats.ensure();
  if (counted === 0) return;
  log.info('Counted keyword statistics of existing memories', { counted, ms: Date.now() - started });
  await store.bumpWriteVersion();
}
