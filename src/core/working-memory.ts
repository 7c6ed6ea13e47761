import { describeZodIssues, invalid, MemoryError, notFound } from '../errors.js';
import { isoOf, toEpochMs } from '../models/common.js';
import { MemoryRecordInput } from '../models/memory-record.js';
import { type MemoryMessage, MemoryMessageInput } from '../models/message.js';
import {
  type SummarizationReport,
  type WorkingMemory,
  WorkingMemoryInput,
  type WorkingMemoryResponse,
} from '../models/working-memory.js';
import type { MemoryStore, SessionKey, SessionQuery, StoredSession } from '../store/port.js';
import { log } from '../util/log.js';
import { ulid } from '../util/ulid.js';
import { type ActivityLog, sessionEvent } from './activity.js';
import type { Change, ChangeFeed } from './changes.js';
import { contextWindowFor } from './model-windows.js';
import { validateStrategy } from './prompt-guard.js';
import { buildRecord, checkTextSize } from './records.js';
import type { Summarizer } from './summarizer.js';
import { planSummarization, type SummarizationPolicy, type SummaryPlan } from './summary-plan.js';
import { countMessageTokens, countTokens } from './tokens.js';

/** Fraction of the window above which the reference server summarizes. */
export const SUMMARIZATION_THRESHOLD = 0.7;

/** What a write changed, for the hooks that schedule background work (extraction, promotion). */
export interface SessionChange {
  /** Messages the write added (a PUT counts all it carried). */
  messages: number;
  /** The write replaced the session's structured memories. */
  memories: boolean;
}

export interface WindowOptions {
  model_name?: string | null;
  context_window_max?: number | null;
  /** Writes only: the most messages the session keeps; older ones are folded into the summary, or trimmed. */
  max_messages?: number | null;
}

export interface WorkingMemoryOptions {
  maxTextBytes: number;
  summarization?: SummarizationPolicy;
  /** Null when no LLM is configured: older messages are then trimmed without a summary. */
  summarizer?: Summarizer | null;
  /** Why `summarizer` is null, for the response. */
  summarizerUnavailable?: string;
  /** WORKING_MEMORY_MAX_MESSAGES: the cap of writes that give no max_messages. */
  maxMessages?: number;
  /** WORKING_MEMORY_CONTEXT_WINDOW: the newest messages a read returns when it gives no recent_messages_limit. */
  contextWindow?: number;
  /** Where writes are announced (MCP resource notifications). */
  changes?: ChangeFeed;
  /** Where every write is recorded (activity stream). */
  activity?: ActivityLog;
  /** Called after every successful write; failures are logged, never returned to the writer. */
  onWrite?: (session: StoredSession, change: SessionChange) => Promise<void>;
}

const DEFAULT_POLICY: SummarizationPolicy = { enabled: true, threshold: SUMMARIZATION_THRESHOLD, keep: 0.4 };

export class WorkingMemoryService {
  /** Summarizations running in this process, by session: a second writer waits instead of paying twice. */
  private readonly summarizing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: MemoryStore,
    private readonly opts: WorkingMemoryOptions,
  ) {}

  async get(
    query: SessionQuery,
    opts: WindowOptions & { recent_messages_limit?: number | null } = {},
  ): Promise<WorkingMemoryResponse> {
    const session = await this.store.getSession(query, {
      recentMessagesLimit: opts.recent_messages_limit ?? this.opts.contextWindow,
      touch: true,
    });
    if (!session) throw notFound(`No working memory for session "${query.session_id}"${where(query)}.`);
    return respond(fitToWindow(session, opts), opts, undefined, this.threshold);
  }

  /** Finds a session without failing when it is missing (memory_prompt uses this). */
  async find(query: SessionQuery, recentMessagesLimit?: number): Promise<StoredSession | null> {
    return this.store.getSession(query, { recentMessagesLimit, touch: true });
  }

  /**
   * Replaces the session; every message and memory is validated before anything is written. `precondition`: the
   * expected version came from an HTTP precondition (If-Match, If-None-Match), so a mismatch is a 412, not a 409.
   */
  async put(
    sessionId: string,
    raw: unknown,
    opts: WindowOptions & { precondition?: boolean } = {},
  ): Promise<WorkingMemoryResponse> {
    const parsed = WorkingMemoryInput.safeParse(raw);
    if (!parsed.success) throw invalid(describeZodIssues(parsed.error.issues));
    const input = parsed.data;
    if (input.session_id && input.session_id !== sessionId) {
      throw invalid(`session_id in the body ("${input.session_id}") differs from the one in the path ("${sessionId}")`);
    }
    validateStrategy(input.long_term_memory_strategy);
    const now = Date.now();
    const messages = this.buildMessages(input.messages, now);
    const key = { session_id: sessionId, namespace: input.namespace ?? null, user_id: input.user_id ?? null };
    const memories = input.memories.map((m, i) => {
      checkTextSize(m.text, this.opts.maxTextBytes, `memories[${i}]`);
      return buildRecord(MemoryRecordInput.parse(m), now, key);
    });
    const session: WorkingMemory = {
      ...key,
      messages,
      memories,
      context: input.context ?? null,
      data: input.data ?? {},
      tokens: tokensOf(messages, input.context ?? null),
      ttl_seconds: input.ttl_seconds ?? null,
      long_term_memory_strategy: input.long_term_memory_strategy ?? { strategy: 'discrete', config: {} },
      created_at: isoOf(now),
      updated_at: isoOf(now),
      last_accessed: isoOf(now),
      version: 0,
    };
    const stored = await this.store.putSession(session, { expectedVersion: input.version }).catch((err: unknown) => {
      // With a key, a version mismatch is the only conflict putSession reports.
      if (opts.precondition && err instanceof MemoryError && err.kind === 'conflict') {
        throw new MemoryError('precondition', err.message);
      }
      throw err;
    });
    const { session: final, report } = await this.summarizeIfNeeded(key, stored, opts);
    await this.opts.activity?.record([
      sessionEvent('put', key, { messages: messages.length, memories: memories.length, version: final.version }),
    ]);
    await this.notify(final, { messages: messages.length, memories: memories.length > 0 });
    return respond(final, opts, report, this.threshold);
  }

  /**
   * A new session that starts as a copy of this one: its messages (up to and including `at_message_id` when
   * given), running summary, data, TTL and extraction strategy, in the same namespace and user. Messages keep their
   * ids and extraction marks, so what was already extracted from the source is not extracted again; structured
   * memories waiting for promotion stay with the source (promoting them twice would only duplicate them).
   */
  async fork(
    source: SessionQuery,
    opts: { new_session_id?: string | null; at_message_id?: string | null } = {},
  ): Promise<WorkingMemoryResponse> {
    const from = await this.store.getSession(source);
    if (!from) throw notFound(`No working memory for session "${source.session_id}"${where(source)}.`);
    let messages = from.messages;
    if (opts.at_message_id != null) {
      const at = messages.findIndex((m) => m.id === opts.at_message_id);
      if (at < 0) {
        throw invalid(`at_message_id: session "${from.session_id}" has no message "${opts.at_message_id}".`);
      }
      messages = messages.slice(0, at + 1);
    }
    const sessionId = opts.new_session_id ?? ulid();
    const key = { session_id: sessionId, namespace: from.namespace, user_id: from.user_id };
    const now = isoOf(Date.now());
    const copy: WorkingMemory = {
      ...key,
      messages,
      memories: [],
      context: from.context,
      data: from.data,
      tokens: tokensOf(messages, from.context),
      ttl_seconds: from.ttl_seconds,
      long_term_memory_strategy: from.long_term_memory_strategy,
      created_at: now,
      updated_at: now,
      last_accessed: now,
      version: 0,
    };
    // Version 0 expected: the fork never overwrites a session that exists.
    const stored = await this.store.putSession(copy, { expectedVersion: 0 }).catch((err: unknown) => {
      if (err instanceof MemoryError && err.kind === 'conflict') {
        throw new MemoryError(
          'conflict',
          `Session "${sessionId}"${where(key)} already exists; choose another new_session_id.`,
        );
      }
      throw err;
    });
    await this.opts.activity?.record([
      sessionEvent('fork', key, { from_session_id: from.session_id, messages: messages.length }),
    ]);
    this.announce(stored, 'created');
    return respond(stored, {}, undefined, this.threshold);
  }

  /** Appends atomically on the server: concurrent appenders never lose a message. */
  async append(
    key: SessionKey,
    rawMessages: unknown,
    opts: { ttl_seconds?: number | null; recent_messages_limit?: number | null } & WindowOptions = {},
  ): Promise<WorkingMemoryResponse & { appended: number }> {
    if (!Array.isArray(rawMessages) || rawMessages.length === 0) throw invalid('messages: give at least one message');
    const parsed = rawMessages.map((m, i) => {
      const r = MemoryMessageInput.safeParse(m);
      if (!r.success) throw invalid(`messages[${i}]: ${describeZodIssues(r.error.issues)}`);
      return r.data;
    });
    const messages = this.buildMessages(parsed, Date.now());
    const limit = opts.recent_messages_limit ?? undefined;
    const { session, appended } = await this.store.appendMessages(key, messages, {
      ttlSeconds: opts.ttl_seconds,
      recentMessagesLimit: limit,
    });
    const { session: final, report } = await this.summarizeIfNeeded(key, session, opts, limit);
    if (appended > 0) {
      const ids = new Set(messages.map((m) => m.id));
      await this.opts.activity?.record([
        sessionEvent('append', key, {
          appended,
          // The ids of this request that landed (a re-sent id is skipped by the store).
          message_ids: session.messages.filter((m) => ids.has(m.id)).map((m) => m.id),
          version: final.version,
        }),
      ]);
      await this.notify(final, { messages: appended, memories: false });
    }
    return { ...respond(final, opts, report, this.threshold), appended };
  }

  /**
   * Keeps the session inside the caller's window: above threshold × window, messages older than the newest that
   * fit keep × window are folded into the running summary and archived (still exported, never dropped), when the
   * request names a window (model_name or context_window_max), as in the reference server. With a message cap
   * (max_messages, or WORKING_MEMORY_MAX_MESSAGES), the messages beyond the newest `cap` are folded too.
   */
  private async summarizeIfNeeded(
    key: SessionKey,
    session: StoredSession,
    opts: WindowOptions,
    limit?: number,
  ): Promise<{ session: StoredSession; report?: SummarizationReport }> {
    const cap = opts.max_messages ?? this.opts.maxMessages;
    const windowed = Boolean(opts.model_name || opts.context_window_max);
    if (!windowed && !(cap !== undefined && session.total_messages > cap)) return { session };
    const window = windowed
      ? contextWindowFor(opts.model_name ?? undefined, opts.context_window_max ?? undefined)
      : undefined;
    const id = JSON.stringify([key.session_id, key.namespace, key.user_id]);
    // Chained, not parallel: the second writer then sees the first one's summary and usually has nothing to do.
    const previous = this.summarizing.get(id);
    // After waiting, the session as this write left it is stale: read it again.
    const run = (previous ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.summarizeNow(key, session, { window, cap }, limit, previous !== undefined));
    this.summarizing.set(id, run);
    try {
      return await run;
    } finally {
      if (this.summarizing.get(id) === run) this.summarizing.delete(id);
    }
  }

  private async summarizeNow(
    key: SessionKey,
    written: StoredSession,
    bounds: { window?: number; cap?: number },
    limit: number | undefined,
    stale: boolean,
  ): Promise<{ session: StoredSession; report?: SummarizationReport }> {
    const policy = this.opts.summarization ?? DEFAULT_POLICY;
    const complete = !stale && written.messages.length === written.total_messages;
    const full = complete ? written : await this.store.getSession(key);
    if (!full) return { session: written };
    const plan = foldPlan(full.messages, full.context, bounds, policy);
    if (!plan) return { session: recent(full, limit) };
    if (!policy.enabled && bounds.cap !== undefined && full.messages.length > bounds.cap) {
      // The cap is the caller's explicit limit: kept even with summarization off, by trimming.
      const ids = full.messages.slice(0, full.messages.length - bounds.cap).map((m) => m.id);
      return this.trim(key, full, ids, limit, {
        status: 'disabled',
        reason: `ENABLE_WORKING_MEMORY_SUMMARIZATION is false: messages beyond max_messages (${bounds.cap}) were trimmed without a summary`,
      });
    }
    if (!policy.enabled) {
      return {
        session: recent(full, limit),
        report: { status: 'disabled', reason: 'ENABLE_WORKING_MEMORY_SUMMARIZATION is false' },
      };
    }
    const ids = plan.fold.map((m) => m.id);
    const summarizer = this.opts.summarizer;
    if (!summarizer) {
      // No LLM: keep the window anyway; the trimmed messages stay in the store for export and extraction.
      const reason = `summarization is unavailable: ${this.opts.summarizerUnavailable ?? 'no LLM is configured'}`;
      return this.trim(key, full, ids, limit, { status: 'unavailable', reason });
    }
    let summary: string;
    try {
      summary = await summarizer.summarize(full.context, plan.fold, plan.summaryTokens);
    } catch (err) {
      if (!(err instanceof MemoryError)) throw err;
      // The write itself succeeded; nothing is trimmed, and the next write over the threshold tries again.
      log.warn('summarization failed', { session_id: key.session_id, error: err.message });
      return { session: recent(full, limit), report: { status: 'failed', reason: err.message } };
    }
    const updated = await this.store.archiveMessages(key, { ids, context: summary, expectedContext: full.context });
    if (!updated) {
      // Another process summarized this session meanwhile; its result stands.
      const current = await this.store.getSession(key, { recentMessagesLimit: limit });
      return { session: current ?? recent(full, limit) };
    }
    return { session: recent(updated, limit), report: { status: 'summarized', summarized_messages: ids.length } };
  }

  /** Archives `ids` without a summary (they stay for export and extraction) and reports how many went. */
  private async trim(
    key: SessionKey,
    full: StoredSession,
    ids: string[],
    limit: number | undefined,
    report: Omit<SummarizationReport, 'trimmed_messages'>,
  ): Promise<{ session: StoredSession; report: SummarizationReport }> {
    const trimmed = ids.length
      ? await this.store.archiveMessages(key, { ids, context: full.context, expectedContext: full.context })
      : null;
    return {
      session: recent(trimmed ?? full, limit),
      report: { ...report, trimmed_messages: trimmed ? ids.length : 0 },
    };
  }

  private get threshold(): number {
    return (this.opts.summarization ?? DEFAULT_POLICY).threshold;
  }

  private announce(s: SessionKey, action: Change['action']): void {
    this.opts.changes?.emit([
      { resource: 'session', action, id: s.session_id, namespace: s.namespace ?? null, user_id: s.user_id ?? null },
    ]);
  }

  private async notify(session: StoredSession, change: SessionChange): Promise<void> {
    this.announce(session, session.version <= 1 ? 'created' : 'updated');
    if (!this.opts.onWrite) return;
    try {
      await this.opts.onWrite(session, change);
    } catch (err) {
      log.error('could not schedule background work for a session', {
        session_id: session.session_id,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  async delete(query: SessionQuery): Promise<void> {
    // A query by id alone names the session's namespace and user only once it is found.
    const known = query.namespace !== undefined && query.user_id !== undefined;
    const found = known ? null : await this.store.getSession(query, { recentMessagesLimit: 0 });
    if (!(await this.store.deleteSession(query))) {
      throw notFound(`No working memory for session "${query.session_id}"${where(query)}.`);
    }
    const key: SessionKey = {
      session_id: query.session_id,
      namespace: found?.namespace ?? query.namespace ?? null,
      user_id: found?.user_id ?? query.user_id ?? null,
    };
    await this.opts.activity?.record([sessionEvent('delete', key, {})]);
    this.announce(key, 'deleted');
  }

  async list(filter: { namespace?: string | null; user_id?: string | null }, limit: number, offset: number) {
    const page = await this.store.listSessions(filter, limit, offset);
    return { sessions: page.items, total: page.total };
  }

  private buildMessages(inputs: ReturnType<typeof MemoryMessageInput.parse>[], now: number): MemoryMessage[] {
    return inputs.map((m, i) => {
      checkTextSize(m.content, this.opts.maxTextBytes, `messages[${i}].content`);
      const created = m.created_at === undefined ? now : (toEpochMs(m.created_at) ?? now);
      return {
        role: m.role,
        content: m.content,
        id: m.id ?? ulid(now),
        created_at: isoOf(created),
        persisted_at: null,
        discrete_memory_extracted: m.discrete_memory_extracted ?? 'f',
      };
    });
  }
}

const where = (q: SessionQuery) => {
  const parts = [q.namespace ? `namespace "${q.namespace}"` : '', q.user_id ? `user "${q.user_id}"` : ''].filter(
    Boolean,
  );
  return parts.length ? ` in ${parts.join(', ')}` : '';
};

/**
 * A read naming a window (model_name or context_window_max) returns only the newest messages that fit it with the
 * summary, at least one, as the reference server does; what is stored is unchanged (total_messages says so).
 */
function fitToWindow(session: StoredSession, opts: WindowOptions): StoredSession {
  if (!opts.model_name && !opts.context_window_max) return session;
  const window = contextWindowFor(opts.model_name ?? undefined, opts.context_window_max ?? undefined);
  const messages = session.messages;
  let used = session.context ? countTokens(session.context) : 0;
  let keep = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    used += countMessageTokens(messages[i]!);
    if (used > window && keep > 0) break;
    keep++;
  }
  return keep === messages.length ? session : { ...session, messages: messages.slice(messages.length - keep) };
}

export function tokensOf(messages: { role: string; content: string }[], context: string | null): number {
  let total = context ? countTokens(context) : 0;
  for (const m of messages) total += countMessageTokens(m);
  return total;
}

/** Summary budget of a fold that only a message cap asked for (no window to size it from). */
const CAP_SUMMARY_TOKENS = 512;

/**
 * What to fold: the window's plan (when a window is named), widened so that at most `cap` messages stay. Null when
 * nothing needs folding.
 */
function foldPlan(
  messages: MemoryMessage[],
  context: string | null,
  bounds: { window?: number; cap?: number },
  policy: SummarizationPolicy,
): SummaryPlan | null {
  const byWindow = bounds.window === undefined ? null : planSummarization(messages, context, bounds.window, policy);
  const over = bounds.cap === undefined ? 0 : messages.length - bounds.cap;
  if (over <= 0) return byWindow;
  if (byWindow && byWindow.fold.length >= over) return byWindow;
  return {
    fold: messages.slice(0, over),
    keep: messages.slice(over),
    summaryTokens: byWindow?.summaryTokens ?? CAP_SUMMARY_TOKENS,
  };
}

/** The session as a response with `recent_messages_limit` applied. */
const recent = (s: StoredSession, limit: number | undefined): StoredSession =>
  limit === undefined || s.messages.length <= limit ? s : { ...s, messages: s.messages.slice(-Math.max(0, limit)) };

function respond(
  session: StoredSession,
  opts: WindowOptions,
  report: SummarizationReport | undefined,
  threshold: number,
): WorkingMemoryResponse {
  const { expires_at: _expires, archived_messages: _archived, ...wm } = session;
  const tokens = tokensOf(session.messages, session.context);
  const explicit = opts.model_name || opts.context_window_max;
  const window = explicit ? contextWindowFor(opts.model_name ?? undefined, opts.context_window_max ?? undefined) : null;
  return {
    ...wm,
    tokens,
    context_percentage_total_used: window ? round1(Math.min(100, (100 * tokens) / window)) : null,
    context_percentage_until_summarization: window
      ? round1(Math.min(100, (100 * tokens) / (threshold * window)))
      : null,
    ...(report ? { summarization: report } : {}),
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
