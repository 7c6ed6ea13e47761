import type { MemoryFeaturesConfig } from '../config.js';
import { notFound } from '../errors.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { MemoryStore, SessionKey, StoredSession } from '../store/port.js';
import type { EnqueueOptions, TaskRecord, TaskStatus } from '../store/tasks.js';
import { type TaskHandler, TaskWorker } from '../tasks/worker.js';
import { log } from '../util/log.js';
import type { SessionChange } from './working-memory.js';

/** Task kinds in the queue; stored in the database, so never rename one. */
export const TASK = {
  extract: 'extract_memories',
  promote: 'promote_memories',
  enrich: 'enrich_memories',
  compact: 'compact_memories',
  forget: 'forget_memories',
  /** The reference server's name for a run over every partition of a summary view. */
  summaryView: 'summary_view_full_run',
  agentTiers: 'agent_tier_maintenance',
} as const;

/** A task as `/v1/tasks/{id}` shows it; field names follow the reference server's Task. */
export interface TaskView {
  id: string;
  type: string;
  status: TaskStatus;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error_message: string | null;
  attempts: number;
  max_attempts: number;
  /** When a pending task runs (next). */
  run_at: string;
  /** The namespace and user the task works on, for callers that confine access. */
  namespace: string | null;
  user_id: string | null;
  /** The summary view a summary_view_full_run works on (the reference's Task field); null for other kinds. */
  view_id: string | null;
  result: unknown;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const text = (v: unknown) => (typeof v === 'string' ? v : null);

export function taskView(t: TaskRecord): TaskView {
  return {
    id: t.id,
    type: t.kind,
    status: t.status,
    created_at: new Date(t.created_at).toISOString(),
    started_at: isoOrNull(t.started_at),
    completed_at: isoOrNull(t.completed_at),
    error_message: t.last_error,
    attempts: t.attempts,
    max_attempts: t.max_attempts,
    run_at: new Date(t.run_at).toISOString(),
    namespace: text(t.payload.namespace),
    user_id: text(t.payload.user_id),
    view_id: text(t.payload.view_id),
    result: t.result,
  };
}

export const sessionPayload = (k: SessionKey) => ({
  session_id: k.session_id,
  namespace: k.namespace,
  user_id: k.user_id,
});

export const payloadKey = (p: Record<string, unknown>): SessionKey => ({
  session_id: String(p.session_id),
  namespace: text(p.namespace),
  user_id: text(p.user_id),
});

export interface BackgroundOptions {
  features: MemoryFeaturesConfig;
  /** Whether a session's messages can be extracted now (an LLM, or the verbatim strategy). */
  canExtract: (session: StoredSession) => boolean;
  /** Whether new memories would be enriched or deduplicated. */
  wantsFollowUp: (records: MemoryRecord[]) => MemoryRecord[];
  /** 'manual': the worker runs only when started (servers) or through runDue (tests). */
  autoStart: boolean;
}

/**
 * Schedules and runs the durable background work: extraction (debounced after the last message), promotion of
 * working-memory memories, enrichment and dedup of new memories, and periodic compaction.
 */
export class BackgroundWork {
  readonly worker: TaskWorker;
  private warnedNoExtraction = false;

  constructor(
    private readonly store: MemoryStore,
    handlers: ReadonlyMap<string, TaskHandler>,
    private readonly opts: BackgroundOptions,
  ) {
    const t = opts.features.tasks;
    this.worker = new TaskWorker(store.tasks, handlers, {
      leaseMs: t.leaseSeconds * 1000,
      pollMs: t.pollMs,
      concurrency: t.concurrency ?? 1,
    });
  }

  /** Starts the worker and the compaction schedule; for long-running commands (api, mcp). */
  async start(): Promise<void> {
    this.worker.start();
    await this.scheduleCompaction();
    await this.scheduleForgetting();
    await this.scheduleTierMaintenance();
  }

  /** Queues the next scheduled pass over agent memory tiers (one pending at most). */
  async scheduleTierMaintenance(): Promise<void> {
    const every = this.opts.features.agentTiers.everyMinutes;
    if (every <= 0) return;
    await this.enqueue(
      {
        kind: TASK.agentTiers,
        payload: { scheduled: true },
        runAt: Date.now() + every * 60_000,
        dedupeKey: `${TASK.agentTiers}:scheduled`,
        onDuplicate: 'keep',
      },
      false,
    );
  }

  /** Queues the next scheduled forgetting when FORGETTING_ENABLED (one pending at most, as for compaction). */
  async scheduleForgetting(): Promise<void> {
    const f = this.opts.features.forgetting;
    if (!f) return;
    await this.enqueue(
      {
        kind: TASK.forget,
        payload: { scheduled: true },
        runAt: Date.now() + f.everyMinutes * 60_000,
        dedupeKey: `${TASK.forget}:scheduled`,
        onDuplicate: 'keep',
      },
      false,
    );
  }

  /** Queues the next periodic compaction (one pending at most, whatever the number of servers). */
  async scheduleCompaction(since?: number): Promise<void> {
    const every = this.opts.features.dedup.compactionEveryMinutes;
    if (every <= 0) return;
    await this.enqueue(
      {
        kind: TASK.compact,
        payload: { scheduled: true, ...(since === undefined ? {} : { since }) },
        runAt: Date.now() + every * 60_000,
        dedupeKey: `${TASK.compact}:scheduled`,
        onDuplicate: 'keep',
      },
      false,
    );
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  async enqueue(opts: Omit<EnqueueOptions, 'maxAttempts'>, wake = true): Promise<TaskRecord> {
    const task = await this.store.tasks.enqueue(
      { ...opts, maxAttempts: this.opts.features.tasks.maxAttempts },
      Date.now(),
    );
    if (this.opts.autoStart) this.worker.start();
    if (wake) this.worker.wake();
    return task;
  }

  /** After a working-memory write: promotion at once, extraction once the conversation has been quiet a while. */
  async onSessionWrite(session: StoredSession, change: SessionChange): Promise<void> {
    const f = this.opts.features.extraction;
    if (!f.longTermMemory) return;
    const key = { session_id: session.session_id, namespace: session.namespace, user_id: session.user_id };
    if (change.memories && session.memories.length) {
      await this.enqueue({
        kind: TASK.promote,
        payload: sessionPayload(key),
        runAt: Date.now(),
        dedupeKey: `${TASK.promote}:${JSON.stringify(key)}`,
        onDuplicate: 'keep',
      });
    }
    if (change.messages === 0) return;
    if (!this.opts.canExtract(session)) {
      if (!this.warnedNoExtraction) {
        this.warnedNoExtraction = true;
        log.debug(
          'memory extraction is off: no LLM is configured (set OPENAI_API_KEY, OPENAI_API_BASE or ANTHROPIC_API_KEY)',
        );
      }
      return;
    }
    // Debounce: every new message pushes the pending extraction back, so it runs once per burst of conversation.
    await this.enqueue(
      {
        kind: TASK.extract,
        payload: sessionPayload(key),
        runAt: Date.now() + f.debounceSeconds * 1000,
        dedupeKey: `${TASK.extract}:${JSON.stringify(key)}`,
        onDuplicate: 'postpone',
      },
      f.debounceSeconds === 0,
    );
  }

  /** After long-term memories were created: enrichment and dedup, off the request path. */
  async onMemoriesCreated(records: MemoryRecord[]): Promise<void> {
    const wanted = this.opts.wantsFollowUp(records);
    if (!wanted.length) return;
    try {
      await this.enqueue({ kind: TASK.enrich, payload: { ids: wanted.map((r) => r.id) }, runAt: Date.now() });
    } catch (err) {
      // The memories are stored; losing their enrichment must not fail the request that stored them.
      log.error('could not queue enrichment', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  async getTask(id: string): Promise<TaskView> {
    const task = await this.store.tasks.get(id);
    if (!task) throw notFound(`No task with id "${id}".`);
    return taskView(task);
  }
}
