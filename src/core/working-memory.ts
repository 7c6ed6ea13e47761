import { describeZodIssues, invalid, notFound } from '../errors.js';
import { isoOf, toEpochMs } from '../models/common.js';
import { MemoryRecordInput } from '../models/memory-record.js';
import { type MemoryMessage, MemoryMessageInput } from '../models/message.js';
import { type WorkingMemory, WorkingMemoryInput, type WorkingMemoryResponse } from '../models/working-memory.js';
import type { MemoryStore, SessionKey, SessionQuery, StoredSession } from '../store/port.js';
import { ulid } from '../util/ulid.js';
import { contextWindowFor } from './model-windows.js';
import { buildRecord, checkTextSize } from './records.js';
import { countMessageTokens, countTokens } from './tokens.js';

/** Fraction of the window above which the reference server summarizes. */
export const SUMMARIZATION_THRESHOLD = 0.7;

export interface WindowOptions {
  model_name?: string | null;
  context_window_max?: number | null;
}

export interface WorkingMemoryOptions {
  maxTextBytes: number;
}

export class WorkingMemoryService {
  constructor(
    private readonly store: MemoryStore,
    private readonly opts: WorkingMemoryOptions,
  ) {}

  async get(
    query: SessionQuery,
    opts: WindowOptions & { recent_messages_limit?: number | null } = {},
  ): Promise<WorkingMemoryResponse> {
    const session = await this.store.getSession(query, {
      recentMessagesLimit: opts.recent_messages_limit ?? undefined,
      touch: true,
    });
    if (!session) throw notFound(`No working memory for session "${query.session_id}"${where(query)}.`);
    return respond(session, opts);
  }

  /** Finds a session without failing when it is missing (memory_prompt uses this). */
  async find(query: SessionQuery, recentMessagesLimit?: number): Promise<StoredSession | null> {
    return this.store.getSession(query, { recentMessagesLimit, touch: true });
  }

  /** Replaces the session; every message and memory is validated before anything is written. */
  async put(sessionId: string, raw: unknown, opts: WindowOptions = {}): Promise<WorkingMemoryResponse> {
    const parsed = WorkingMemoryInput.safeParse(raw);
    if (!parsed.success) throw invalid(describeZodIssues(parsed.error.issues));
    const input = parsed.data;
    if (input.session_id && input.session_id !== sessionId) {
      throw invalid(`session_id in the body ("${input.session_id}") differs from the one in the path ("${sessionId}")`);
    }
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
    const stored = await this.store.putSession(session, { expectedVersion: input.version });
    return respond(stored, opts);
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
    const { session, appended } = await this.store.appendMessages(key, messages, {
      ttlSeconds: opts.ttl_seconds,
      recentMessagesLimit: opts.recent_messages_limit ?? undefined,
    });
    return { ...respond(session, opts), appended };
  }

  async delete(query: SessionQuery): Promise<void> {
    if (!(await this.store.deleteSession(query))) {
      throw notFound(`No working memory for session "${query.session_id}"${where(query)}.`);
    }
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

export function tokensOf(messages: { role: string; content: string }[], context: string | null): number {
  let total = context ? countTokens(context) : 0;
  for (const m of messages) total += countMessageTokens(m);
  return total;
}

function respond(session: StoredSession, opts: WindowOptions): WorkingMemoryResponse {
  const { expires_at: _expires, ...wm } = session;
  const tokens = tokensOf(session.messages, session.context);
  const explicit = opts.model_name || opts.context_window_max;
  const window = explicit ? contextWindowFor(opts.model_name ?? undefined, opts.context_window_max ?? undefined) : null;
  return {
    ...wm,
    tokens,
    context_percentage_total_used: window ? round1(Math.min(100, (100 * tokens) / window)) : null,
    context_percentage_until_summarization: window
      ? round1(Math.min(100, (100 * tokens) / (SUMMARIZATION_THRESHOLD * window)))
      : null,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
