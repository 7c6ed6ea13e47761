import { type Config, OFFLINE_MODELS } from '../config.js';
import { describeZodIssues, invalid } from '../errors.js';
import { CachedEmbedder } from '../llm/cached-embedder.js';
import type { Embedder } from '../llm/embedder.js';
import { type ChatModels, makeChatModels } from '../llm/make-chat.js';
import { makeEmbedder } from '../llm/make-embedder.js';
import type { ActivityEvent, ActivityPage, MemoryHistory } from '../models/activity.js';
import { TierMaintenanceRequest } from '../models/agent.js';
import type { ForgetReport } from '../models/forget.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { EraseReport, MemoryStats } from '../models/users.js';
import { openStore } from '../store/open-store.js';
import type { MemoryStore, SessionKey } from '../store/port.js';
import { loadRelatedWords, type RelatedWords } from '../text/related-words.js';
import { Lazy } from '../util/lazy.js';
import { log } from '../util/log.js';
import { ActivityLog, parseActivityQuery, sessionEvent } from './activity.js';
import type { TaskView } from './background.js';
import { ChangeFeed } from './changes.js';
import { type CompactionReport, type CompactOptions, compactLongTermMemories } from './compact.js';
import { eraseUser } from './erase-user.js';
import { forgetLongTermMemories } from './forget.js';
import { LlmFeatures, type LlmStatus } from './llm-features.js';
import { LongTermMemory } from './long-term.js';
import { composeMemoryPrompt, type MemoryPromptResult } from './memory-prompt.js';
import { setModelContextWindows } from './model-windows.js';
import { type OptimizedQuery, optimizeQuery } from './optimize-query.js';
import { QueryCache } from './query-cache.js';
import { memoryStats } from './stats.js';
import type { SummaryViewsApi } from './summary-views.js';
import type { MaintenanceReport } from './tiers.js';
import { WorkingMemoryService } from './working-memory.js';

/** The activity stream and memory histories, as callers reach them. */
export interface ActivityApi {
  /** GET /v1/activity: `raw` is an ActivityQuery (namespace, user_id, session_id, action, resource, since, cursor, limit). */
  page(raw: unknown): Promise<ActivityPage>;
  /** The live form: events the query keeps as they happen, from after `lastId` (an event id) or from now. */
  follow(raw: unknown, lastId: string | undefined, signal: AbortSignal): Promise<AsyncIterable<ActivityEvent>>;
  /** A memory's history, oldest first; MemoryError('not_found') when there is neither a memory nor history. */
  history(memoryId: string): Promise<MemoryHistory>;
  /** Records a read of a session (the agent-memory-service routes, whose stream shows reads). */
  recordRead(key: SessionKey): Promise<void>;
}

/** The part of the engine that callers act through; the HTTP auth layer substitutes a confined facade. */
export interface MemoryEngine {
  readonly config: Config;
  readonly longTerm: Pick<LongTermMemory, 'create' | 'get' | 'edit' | 'delete' | 'list' | 'search' | 'contentBytes'>;
  readonly workingMemory: Pick<WorkingMemoryService, 'get' | 'find' | 'put' | 'append' | 'fork' | 'delete' | 'list'>;
  readonly activity: ActivityApi;
  /** Summary views (/v1/summary-views…): LLM summaries of long-term memories grouped by user, namespace… */
  readonly summaryViews: SummaryViewsApi;
  memoryPrompt(raw: unknown): Promise<MemoryPromptResult>;
  /** DELETE /v1/users/{id}: `raw` is `{user_id, namespace?}`. */
  eraseUser(raw: unknown): Promise<EraseReport>;
  /** GET /v1/stats: `raw` is `{namespace?, user_id?}`. */
  stats(raw: unknown): Promise<MemoryStats>;
  // LLM features; a facade that confines callers (src/auth/scoped-engine.ts) confines these like the rest.
  /** Removes duplicate memories and merges near-duplicates (POST /v1/long-term-memory/compact). */
  compact(opts: CompactOptions): Promise<CompactionReport>;
  /**
   * Forgetting by policy (POST /v1/long-term-memory/forget): `body` is `{policy, pinned_ids?}`, `scope`
   * `{namespace?, user_id?, session_id?, limit?, dry_run?}` (dry run unless `dry_run: false`).
   */
  forget(body: unknown, scope: Record<string, unknown>): Promise<ForgetReport>;
  /** A background task by id (GET /v1/tasks/{id}); MemoryError('not_found') when unknown. */
  getTask(id: string): Promise<TaskView>;
  /** Tiers of agent memories: a maintenance pass (`raw`: TierMaintenanceRequest) and a detailed read. */
  readonly agentTiers: {
    maintain(raw: unknown): Promise<MaintenanceReport>;
    readDetailed(id: string): Promise<MemoryRecord>;
  };
  /** Rewrites a search query with the fast model (`optimize_query`); the original text when unavailable. */
  optimizeQuery(text: string): Promise<OptimizedQuery>;
  llmStatus(): LlmStatus;
}

export interface EngineOptions {
  /** Chat models; built from the configuration when absent. */
  chat?: ChatModels;
  /** Start the task worker on the first enqueue (default), or only through startBackgroundWork/runBackgroundTasks. */
  autoStartWorker?: boolean;
}

/** The storage-agnostic engine every transport (MCP, REST, CLI, eval adapter) calls into. */
export class Engine implements MemoryEngine {
  readonly longTerm: LongTermMemory;
  readonly workingMemory: WorkingMemoryService;
  readonly llm: LlmFeatures;
  /** Every memory and session write of this process (MCP resource notifications). */
  readonly changes = new ChangeFeed();
  /** Every write, kept in the store (history, activity stream). */
  readonly activityLog: ActivityLog;
  readonly activity: ActivityApi;
  readonly summaryViews: SummaryViewsApi;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closing = false;

  /** The WordNet related-word table, loaded (built once) on first use; undefined when RELATED_WORDS is off. */
  private readonly relatedWords: (() => Promise<RelatedWords | null>) | undefined;
  /** Rankings of recent searches (QUERY_CACHE_TTL_SECONDS; /v1/query-cache clears it and sets the TTL). */
  readonly queryCache: QueryCache;
  /** The store as opened, with every memory write made through it counted by the query cache. */
  readonly store: MemoryStore;

  constructor(
    readonly config: Config,
    opened: MemoryStore,
    readonly embedder: Embedder,
    opts: EngineOptions = {},
  ) {
    this.queryCache = new QueryCache(() => opened.writeVersion(), config.queryCache);
    const store = this.queryCache.watch(opened);
    this.store = store;
    if (config.relatedWords) {
      const table = new Lazy(() => loadRelatedWords(config.embedding.vectorsDir));
      this.relatedWords = () => table.get();
    }
    setModelContextWindows(config.llm.contextWindows);
    this.activityLog = new ActivityLog(store, config.features.activityRetentionDays);
    this.activity = this.activityApi();
    this.longTerm = new LongTermMemory(store, embedder, {
      maxTextBytes: config.maxTextBytes,
      recencyBoost: config.recencyBoost,
      defaultHybridAlpha: config.hybridAlpha ?? embedder.fusion.alpha,
      standardSpan: embedder.fusion.standardSpan,
      neighbourContext: config.neighbourContext,
      attributePaths: config.attributePaths,
      relatedWords: this.relatedWords,
      onCreated: (records) => this.llm.background.onMemoriesCreated(records),
      changes: this.changes,
      activity: this.activityLog,
      queryCache: this.queryCache,
    });
    const chat = opts.chat ?? makeChatModels(config.llm);
    this.llm = new LlmFeatures(config, store, embedder, this.longTerm, chat, opts.autoStartWorker ?? true);
    this.summaryViews = this.llm.summaryViews;
    this.workingMemory = new WorkingMemoryService(store, {
      maxTextBytes: config.maxTextBytes,
      summarization: config.features.summarization,
      maxMessages: config.features.sessions.maxMessages,
      contextWindow: config.features.sessions.contextWindow,
      summarizer: this.llm.summarizer,
      summarizerUnavailable: chat.unavailableReason,
      onWrite: (session, change) => this.llm.background.onSessionWrite(session, change),
      changes: this.changes,
      activity: this.activityLog,
    });
  }

  private activityApi(): ActivityApi {
    const log = this.activityLog;
    return {
      page: (raw) => {
        const q = parseActivityQuery(raw);
        return log.page(q.filter, q.limit);
      },
      follow: async (raw, lastId, signal) => {
        const q = parseActivityQuery(raw);
        if (lastId !== undefined && !/^\d+$/.test(lastId)) throw invalid('Last-Event-ID: expected an event id');
        // "From now" is fixed here, before the caller tells its client the stream is ready.
        const after = lastId === undefined ? await log.head(q.filter) : Number(lastId);
        return log.follow(q.filter, after, signal);
      },
      history: async (memoryId) => {
        const history = await log.history(memoryId);
        if (history.events.length === 0) await this.longTerm.get(memoryId);
        return history;
      },
      recordRead: (key) => log.record([sessionEvent('read', key, {})]),
    };
  }

  eraseUser(raw: unknown): Promise<EraseReport> {
    return eraseUser(this.store, this.embedder, this.activityLog, raw, (user, ns) =>
      this.llm.summaryViews.eraseUser(user, ns),
    );
  }

  stats(raw: unknown): Promise<MemoryStats> {
    return memoryStats(this.store, this.embedder, this.config.features.activityRetentionDays, raw);
  }

  memoryPrompt(raw: unknown): Promise<MemoryPromptResult> {
    return composeMemoryPrompt(raw, this);
  }

  compact(opts: CompactOptions = {}): Promise<CompactionReport> {
    return compactLongTermMemories(
      this.store,
      this.llm.dedup,
      (ids, how) => this.longTerm.delete(ids, how),
      opts,
      this.config.features.dedup.compactionDistance,
    );
  }

  async forget(body: unknown, scope: Record<string, unknown>): Promise<ForgetReport> {
    // Inactivity is read from last_accessed: the accesses of searches just answered count.
    await this.longTerm.flushAccess();
    return forgetLongTermMemories(this.store, (ids) => this.longTerm.delete(ids, { action: 'forget' }), body, scope);
  }

  getTask(id: string): Promise<TaskView> {
    return this.llm.background.getTask(id);
  }

  readonly agentTiers = {
    maintain: async (raw: unknown): Promise<MaintenanceReport> => {
      const parsed = TierMaintenanceRequest.safeParse(raw ?? {});
      if (!parsed.success) throw invalid(describeZodIssues(parsed.error.issues));
      await this.longTerm.flushAccess();
      return this.llm.agentTiers.maintain(parsed.data);
    },
    readDetailed: async (id: string): Promise<MemoryRecord> =>
      this.llm.agentTiers.readDetailed(await this.longTerm.get(id)),
  };

  optimizeQuery(text: string): Promise<OptimizedQuery> {
    return optimizeQuery(this.llm.chat.fast, this.llm.prompts, text);
  }

  llmStatus(): LlmStatus {
    return this.llm.status();
  }

  /**
   * Runs the task worker and the compaction schedule; long-running commands (api, mcp) call this. `warmUp: false`
   * leaves loading the offline models to a later `warmUp()` (the stdio server calls it once the client is in).
   */
  async startBackgroundWork(opts: { warmUp?: boolean } = {}): Promise<void> {
    const s = this.llm.status();
    if (s.available) log.info('LLM features on', { generation: s.generation_model, fast: s.fast_model });
    else log.info(`LLM features off (${s.reason}); summarization trims without a summary, extraction needs an LLM`);
    if (this.store.readOnly) {
      log.warn('no background work (extraction, promotion, compaction, activity retention): the store is read-only');
    } else {
      await this.llm.background.start();
      this.scheduleActivityPruning();
    }
    if (opts.warmUp ?? true) this.warmUp();
  }

  /**
   * Starts loading the offline word vectors and related words (building them, on the very first start) without
   * waiting, so that the first search does not pay for it. Their parsing holds the CPU for a few hundred ms.
   */
  warmUp(): void {
    this.embedder.warmUp?.();
    this.relatedWords?.().catch((err: unknown) =>
      log.warn('related words unavailable', { error: err instanceof Error ? err.message : String(err) }),
    );
  }

  /** Runs every background task due by `now` in this call (tests, one-shot commands); returns how many ran. */
  runBackgroundTasks(now = Date.now()): Promise<number> {
    return this.llm.background.worker.runDue(now);
  }

  /** Retention: old activity goes at start and hourly after, a batch at a time; stops when the engine closes. */
  private scheduleActivityPruning(): void {
    if (this.config.features.activityRetentionDays <= 0 || this.pruneTimer) return;
    const prune = () =>
      this.activityLog
        .prune(Date.now(), () => this.closing)
        .catch((err: unknown) => {
          log.warn('activity retention: pruning failed', { error: err instanceof Error ? err.message : String(err) });
        });
    void prune();
    this.pruneTimer = setInterval(prune, 3_600_000);
    this.pruneTimer.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pruneTimer);
    this.activityLog.close();
    await this.longTerm.flushAccess().catch(() => {});
    await this.llm.background.stop();
    await this.embedder.close?.();
    await this.store.close();
  }
}

/**
 * The configured embedding model, unless it is only the default and the store's memories were embedded with
 * another offline model: an existing database keeps working unchanged until `agent-memory reembed`.
 */
async function embeddingInForce(config: Config, store: MemoryStore): Promise<Config['embedding']> {
  const e = config.embedding;
  if (e.explicit || e.provider !== 'offline') return e;
  const recorded = await store.recordedEmbeddingModel();
  if (!recorded || recorded.model === e.model || !OFFLINE_MODELS.includes(recorded.model)) return e;
  log.info(
    `this store's memories were embedded with ${recorded.model}, which stays in use; run \`agent-memory reembed\` to switch to ${e.model} (meaning-aware search without a key), or set EMBEDDING_MODEL=${recorded.model} to keep it`,
  );
  return { ...e, model: recorded.model };
}

/**
 * An upgrade that changed how the keyword index is built leaves it empty and flagged (the store cannot analyse
 * text itself): it is filled here, once, before the engine serves, so no search runs on a partial index.
 */
async function rebuildPendingKeywordIndex(engine: Engine): Promise<void> {
  const started = Date.now();
  log.info('rebuilding the keyword index after an upgrade (once)');
  let last = 0;
  const done = await engine.longTerm.rebuildKeywordIndex(
    (n, total) => {
      if (Date.now() - last < 2_000 && n !== total) return;
      last = Date.now();
      log.info('keyword index', { done: n, total });
    },
    { onlyIfPending: true },
  );
  log.info('keyword index rebuilt', { memories: done, ms: Date.now() - started });
}

/** Opens the configured store and embedder; fails fast if the store was built with another embedding model. */
export async function openEngine(
  config: Config,
  opts: { skipModelCheck?: boolean } & EngineOptions = {},
): Promise<Engine> {
  const store = await openStore(config);
  try {
    const inner = await makeEmbedder(await embeddingInForce(config, store));
    if (!opts.skipModelCheck) await store.ensureEmbeddingModel(inner.model, inner.dimension);
    const engine = new Engine(config, store, inner.cheap ? inner : new CachedEmbedder(inner, store), opts);
    if (await store.keywordIndexPending?.()) await rebuildPendingKeywordIndex(engine);
    return engine;
  } catch (err) {
    await store.close();
    throw err;
  }
}
