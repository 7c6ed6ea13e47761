import { describeZodIssues, invalid } from '../errors.js';
import {
  type ActivityAction,
  type ActivityEvent,
  type ActivityPage,
  ActivityQuery,
  type MemoryHistory,
} from '../models/activity.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { ActivityFilter, MemoryStore, NewActivity, SessionKey, StoredActivity } from '../store/port.js';
import { currentActor } from '../util/actor.js';
import { log } from '../util/log.js';

/** The most events a memory's history returns (the newest ones, oldest first). */
export const HISTORY_MAX = 1000;

const PRUNE_BATCH = 1000;

export type ActivityDraft = Omit<NewActivity, 'at' | 'actor'>;

export const toActivityEvent = (e: StoredActivity): ActivityEvent => ({
  id: String(e.seq),
  at: new Date(e.at).toISOString(),
  action: e.action,
  resource: e.resource,
  target_id: e.target_id,
  namespace: e.namespace,
  user_id: e.user_id,
  session_id: e.session_id,
  actor: e.actor,
  before: e.before,
  after: e.after,
  details: e.details,
});

/** A memory event; the owner is the record's as it is after the event (before it, for a removal). */
export function memoryEvent(
  action: ActivityAction,
  before: MemoryRecord | null,
  after: MemoryRecord | null,
  details: Record<string, unknown> = {},
): ActivityDraft {
  const r = (after ?? before)!;
  return {
    action,
    resource: 'memory',
    target_id: r.id,
    namespace: r.namespace ?? null,
    user_id: r.user_id ?? null,
    session_id: r.session_id ?? null,
    before,
    after,
    details,
  };
}

export function sessionEvent(action: ActivityAction, key: SessionKey, details: Record<string, unknown>): ActivityDraft {
  return {
    action,
    resource: 'session',
    target_id: key.session_id,
    namespace: key.namespace,
    user_id: key.user_id,
    session_id: key.session_id,
    before: null,
    after: null,
    details,
  };
}

/** Parses a REST query or tool arguments into a store filter, with the page size and cursor. */
export function parseActivityQuery(raw: unknown): { filter: ActivityFilter; limit: number } {
  const r = ActivityQuery.safeParse(raw ?? {});
  if (!r.success) throw invalid(describeZodIssues(r.error.issues));
  const q = r.data;
  return {
    filter: {
      namespace: q.namespace,
      user_id: q.user_id,
      session_id: q.session_id,
      resource: q.resource,
      actions: q.action,
      sinceMs: q.since,
      beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor),
    },
    limit: q.limit,
  };
}

/**
 * The activity stream: every write to memories and sessions, with who made it, kept in the store so that every
 * server sharing it sees the same history. Recorded right after the write it describes has landed; a failure to
 * record is logged and never fails that write (the caller would retry it and write twice).
 */
export class ActivityLog {
  private readonly listeners = new Set<() => void>();
  /** Aborted on shutdown: every live stream ends, so the server's connections drain. */
  private readonly closed = new AbortController();

  constructor(
    private readonly store: MemoryStore,
    private readonly retentionDays: number,
  ) {}

  async record(drafts: ActivityDraft[]): Promise<void> {
    // Reads of a read-only store leave no trace (writes fail before they get here).
    if (drafts.length === 0 || this.store.readOnly) return;
    const at = Date.now();
    const actor = currentActor();
    try {
      await this.store.appendActivity(drafts.map((d) => ({ ...d, at, actor })));
    } catch (err) {
      log.error('activity not recorded', {
        actions: [...new Set(drafts.map((d) => d.action))].join(','),
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    for (const l of this.listeners) l();
  }

  /** Ends every live stream (engine shutdown). */
  close(): void {
    this.closed.abort();
  }

  /** Called after each event recorded in this process (live streams wake at once instead of at their next poll). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async page(filter: ActivityFilter, limit: number): Promise<ActivityPage> {
    // One more than asked tells whether another page exists.
    const events = await this.store.listActivity({ ...filter, afterSeq: undefined }, limit + 1);
    const page = events.slice(0, limit);
    return {
      events: page.map(toActivityEvent),
      next_cursor: events.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  /** Events after `afterSeq`, oldest first (a live stream catching up). */
  async after(filter: ActivityFilter, afterSeq: number, limit: number): Promise<StoredActivity[]> {
    return this.store.listActivity({ ...filter, beforeSeq: undefined, afterSeq }, limit);
  }

  /** The newest event's seq that the filter keeps, or 0: where a live stream that wants only new events starts. */
  async head(filter: ActivityFilter): Promise<number> {
    const [newest] = await this.store.listActivity({ ...filter, afterSeq: undefined, beforeSeq: undefined }, 1);
    return newest?.seq ?? 0;
  }

  /**
   * Events the filter keeps as they are recorded, oldest first, from after `afterSeq` (`head` is now). Polls the
   * store, so events written by other servers sharing it arrive too; an event recorded in this process wakes it
   * at once. Ends when `signal` aborts.
   */
  async *follow(
    filter: ActivityFilter,
    afterSeq: number,
    signal: AbortSignal,
    opts: { pollMs?: number; onIdle?: () => Promise<void> } = {},
  ): AsyncGenerator<ActivityEvent> {
    let last = afterSeq;
    const batch = 100;
    signal = AbortSignal.any([signal, this.closed.signal]);
    while (!signal.aborted) {
      const events = await this.after(filter, last, batch);
      for (const e of events) {
        last = e.seq;
        yield toActivityEvent(e);
      }
      if (events.length === batch) continue;
      await this.waitForEvent(signal, opts.pollMs ?? 1000);
      if (!signal.aborted) await opts.onIdle?.();
    }
  }

  private waitForEvent(signal: AbortSignal, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = this.subscribe(done);
      signal.addEventListener('abort', done);
    });
  }

  async history(memoryId: string): Promise<MemoryHistory> {
    const events = await this.store.listActivity({ resource: 'memory', target_id: memoryId }, HISTORY_MAX);
    return { memory_id: memoryId, events: events.reverse().map(toActivityEvent) };
  }

  /**
   * Deletes events older than the retention (ACTIVITY_RETENTION_DAYS; 0 keeps them all), a batch at a time with a
   * turn of the event loop between batches, so requests are served meanwhile; `stopped` ends it early (shutdown).
   */
  async prune(now = Date.now(), stopped: () => boolean = () => false): Promise<number> {
    if (this.retentionDays <= 0) return 0;
    const before = now - this.retentionDays * 86_400_000;
    let total = 0;
    while (!stopped()) {
      const n = await this.store.pruneActivity(before, PRUNE_BATCH);
      total += n;
      if (n < PRUNE_BATCH) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}
