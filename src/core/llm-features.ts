import type { Config } from '../config.js';
import type { Embedder } from '../llm/embedder.js';
import type { ChatModels } from '../llm/make-chat.js';
import { PromptLibrary } from '../llm/prompts.js';
import { llmUsage, type ModelUsage } from '../llm/usage.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { MemoryStore, SessionKey } from '../store/port.js';
import type { TaskHandler } from '../tasks/worker.js';
import { log } from '../util/log.js';
import { BackgroundWork, payloadKey, TASK } from './background.js';
import { compactLongTermMemories } from './compact.js';
import { Deduplicator } from './dedup.js';
import { Enricher } from './enrich.js';
import { Extractor, isVerbatim } from './extract.js';
import { forgetLongTermMemories } from './forget.js';
import type { LongTermMemory } from './long-term.js';
import { placeIds } from './memory-ids.js';
import { contextWindowFor } from './model-windows.js';
import { Summarizer } from './summarizer.js';
import { SummaryViews } from './summary-views.js';
import { AgentTiers } from './tiers.js';

/** What the LLM features can do in this process, for health output and the startup log. */
export interface LlmStatus {
  available: boolean;
  generation_model: string | null;
  fast_model: string | null;
  reason?: string;
  summarization: 'on' | 'trim only (no LLM)' | 'disabled';
  extraction: 'on' | 'verbatim strategy only (no LLM)' | 'disabled';
  enrichment: 'on' | 'off';
  semantic_dedup: 'on' | 'exact duplicates only (no LLM)';
  usage: ModelUsage[];
}

/**
 * Builds every LLM-backed service from the chat models and wires them to the durable queue. With no models the
 * same services exist and report "unavailable" instead of failing.
 */
export class LlmFeatures {
  readonly prompts: PromptLibrary;
  readonly summarizer: Summarizer | null;
  readonly dedup: Deduplicator;
  readonly extractor: Extractor;
  readonly enricher: Enricher;
  readonly background: BackgroundWork;
  readonly summaryViews: SummaryViews;
  /** Tiers of agent memories: maintenance passes (scheduled, on demand) and detailed reads. */
  readonly agentTiers: AgentTiers;

  constructor(
    private readonly config: Config,
    private readonly store: MemoryStore,
    embedder: Embedder,
    private readonly longTerm: LongTermMemory,
    readonly chat: ChatModels,
    autoStart: boolean,
  ) {
    const f = config.features;
    this.prompts = new PromptLibrary(config.llm.promptsDir);
    const generationWindow = contextWindowFor(chat.generation?.model ?? config.llm.generation.model);
    this.summarizer = chat.generation ? new Summarizer(chat.generation, this.prompts, generationWindow) : null;
    this.dedup = new Deduplicator({
      store,
      embedder,
      longTerm,
      chat: chat.generation,
      prompts: this.prompts,
      maxTextBytes: config.maxTextBytes,
    });
    this.extractor = new Extractor({
      store,
      longTerm,
      dedup: this.dedup,
      chat: chat.generation,
      unavailableReason: chat.unavailableReason,
      prompts: this.prompts,
      modelWindow: generationWindow,
      maxTextBytes: config.maxTextBytes,
      llmExtraction: f.extraction.discrete,
      dedupDistance: f.dedup.distance,
    });
    this.enricher = new Enricher({
      store,
      longTerm,
      chat: chat.fast,
      prompts: this.prompts,
      topics: f.extraction.topics,
      entities: f.extraction.entities,
    });
    this.summaryViews = new SummaryViews({
      store,
      chat,
      modelNames: { fast: config.llm.fast.model, generation: config.llm.generation.model },
      refreshEveryMinutes: f.summaryViewRefreshMinutes,
      prompts: this.prompts,
      enqueue: (opts) => this.background.enqueue(opts),
    });
    this.agentTiers = new AgentTiers(
      store,
      (records, texts) => longTerm.rewrite(records, texts),
      f.agentTiers,
      config.attributePaths,
    );
    this.background = new BackgroundWork(store, this.handlers(), {
      features: f,
      autoStart,
      canExtract: (s) => isVerbatim(s.long_term_memory_strategy) || (chat.generation !== null && f.extraction.discrete),
      wantsFollowUp: (records) => this.wantsFollowUp(records),
    });
  }

  /**
   * New memories that get a background pass: dedup for those not from extraction (which dedups inline), enrichment
   * for those without topics or entities. None without an LLM, so the offline server never rewrites memories.
   */
  private wantsFollowUp(records: MemoryRecord[]): MemoryRecord[] {
    return records.filter(
      (r) =>
        (this.dedup.canMerge && r.discrete_memory_extracted !== 't') ||
        (this.enricher.enabled && this.enricher.wants(r)),
    );
  }

  private handlers(): Map<string, TaskHandler> {
    const f = this.config.features;
    return new Map<string, TaskHandler>([
      [TASK.extract, (t) => this.extractor.extractSession(payloadKey(t.payload))],
      [TASK.promote, (t) => this.promote(payloadKey(t.payload))],
      [
        TASK.enrich,
        async (t) => {
          const ids = Array.isArray(t.payload.ids) ? t.payload.ids.map(String) : [];
          let merged = 0;
          const removed = new Set<string>();
          if (this.dedup.canMerge) {
            for (const record of await this.store.getMemories(ids)) {
              if (record.discrete_memory_extracted === 't' || removed.has(record.id)) continue;
              const result = await this.dedup.mergeAround(record.id, f.dedup.distance);
              if (!result) continue;
              merged += 1;
              for (const id of result.removed) removed.add(id);
            }
          }
          const enrichment = await this.enricher.enrich(ids.filter((id) => !removed.has(id)));
          return { merged, removed: [...removed], ...enrichment };
        },
      ],
      [
        TASK.compact,
        async (t, { signal }) => {
          const started = Date.now();
          const since = typeof t.payload.since === 'number' ? t.payload.since : undefined;
          const report = await compactLongTermMemories(
            this.store,
            this.dedup,
            (ids, how) => this.longTerm.delete(ids, how),
            { namespace: stringOr(t.payload.namespace), user_id: stringOr(t.payload.user_id), since },
            f.dedup.compactionDistance,
            signal,
          );
          // The next scheduled pass looks only at what was written from now on; one stopped by shutdown starts
          // again from where this one started.
          if (t.payload.scheduled === true) await this.background.scheduleCompaction(signal.aborted ? since : started);
          return report;
        },
      ],
      [TASK.summaryView, (t, { signal }) => this.summaryViews.runTask(t, signal)],
      [
        TASK.agentTiers,
        async (_t, { signal }) => {
          // Only the schedule queues this task: every agent, store-wide; the next pass is queued even after a stop.
          try {
            const report = await this.agentTiers.maintain({}, signal);
            if (report.moved.stm_to_im || report.moved.im_to_ltm) log.info('agent memory tiers', report.moved);
            return report;
          } finally {
            await this.background.scheduleTierMaintenance();
          }
        },
      ],
      [
        TASK.forget,
        async (_t, { signal }) => {
          // Only the schedule queues this task, with the policy of the settings, store-wide.
          try {
            await this.longTerm.flushAccess();
            const policy = f.forgetting?.policy;
            if (!policy) return { status: 'skipped', reason: 'FORGETTING_ENABLED is off' };
            const report = await forgetLongTermMemories(
              this.store,
              (ids) => this.longTerm.delete(ids, { action: 'forget', details: () => ({ scheduled: true }) }),
              { policy },
              { dry_run: false },
              Date.now(),
              signal,
            );
            const { deleted_ids: _, ...counts } = report;
            if (report.deleted) log.info('scheduled forgetting', counts);
            return counts;
          } finally {
            await this.background.scheduleForgetting();
          }
        },
      ],
    ]);
  }

  /** Copies the session's structured memories to long-term memory; unchanged ones are skipped. */
  private async promote(key: SessionKey) {
    const session = await this.store.getSession(key);
    if (!session) return { status: 'skipped', reason: 'the session no longer exists', promoted: 0 };
    // An id another namespace holds is promoted under this namespace's qualified form of it (see memory-ids.ts).
    const owns = (r: MemoryRecord) => r.namespace === key.namespace && r.user_id === key.user_id;
    const places = await placeIds(
      (ids) => this.store.getMemories(ids),
      session.memories.map((m) => m.id),
      key.namespace,
      owns,
    );
    const foreign = session.memories.filter((m) => 'refused' in (places.get(m.id) ?? { refused: true }));
    if (foreign.length) {
      log.warn('session memories not promoted: their ids belong to memories this session may not overwrite', {
        session_id: key.session_id,
        ids: foreign.map((m) => m.id).join(','),
      });
    }
    const todo = session.memories.flatMap((m) => {
      const place = places.get(m.id);
      if (!place || 'refused' in place || place.existing?.memory_hash === m.memory_hash) return [];
      return [{ ...m, id: place.stored }];
    });
    const refused = foreign.length ? { refused_ids: foreign.map((m) => m.id) } : {};
    if (!todo.length) return { status: 'promoted', promoted: 0, ...refused };
    const { outcomes } = await this.longTerm.create(todo, { deduplicate: true, defaults: key });
    return {
      status: 'promoted',
      promoted: outcomes.filter((o) => o.status !== 'duplicate').length,
      duplicates: outcomes.filter((o) => o.status === 'duplicate').length,
      ...refused,
    };
  }

  status(): LlmStatus {
    const f = this.config.features;
    const available = this.chat.generation !== null;
    return {
      available,
      generation_model: this.chat.generation?.model ?? null,
      fast_model: this.chat.fast?.model ?? null,
      ...(this.chat.unavailableReason ? { reason: this.chat.unavailableReason } : {}),
      summarization: !f.summarization.enabled ? 'disabled' : available ? 'on' : 'trim only (no LLM)',
      extraction:
        !f.extraction.longTermMemory || !f.extraction.discrete
          ? 'disabled'
          : available
            ? 'on'
            : 'verbatim strategy only (no LLM)',
      enrichment: this.enricher.enabled ? 'on' : 'off',
      semantic_dedup: available ? 'on' : 'exact duplicates only (no LLM)',
      usage: llmUsage(),
    };
  }
}

const stringOr = (v: unknown) => (typeof v === 'string' && v ? v : null);
