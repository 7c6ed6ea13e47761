import { ulid } from '../util/ulid.js';
import { type ClientContext, definedOnly, encode, scopeOf } from './context.js';
import { MemoryNotFoundError, MemoryPreconditionError } from './errors.js';
import { byOffset } from './paging.js';
import type {
  Ack,
  AppendResult,
  NewMessage,
  SessionList,
  WindowOptions,
  WorkingMemory,
  WorkingMemoryBody,
  WorkingMemoryResponse,
  WriteWindowOptions,
} from './types.js';

type Key = { namespace?: string | null; user_id?: string | null };

export interface PutOptions extends WriteWindowOptions, Key {
  /** An ETag from a read: the PUT is refused (MemoryPreconditionError, 412) if the session changed since. */
  ifMatch?: string;
  /** `*`: create the session only if it does not exist yet. */
  ifNoneMatch?: '*';
}

export interface AppendOptions extends WriteWindowOptions, Key {
  ttl_seconds?: number;
  /** Keep the answer small: only the newest N messages come back (default 1). */
  recent_messages_limit?: number;
}

export interface UpdateOptions extends WriteWindowOptions, Key {
  /** How many read-merge-write rounds to try when other writers keep moving the session on (default 5). */
  attempts?: number;
}

/** Messages with ids, so that a retried or re-sent write never stores a message twice. */
export const withMessageIds = (messages: readonly NewMessage[]): NewMessage[] =>
  messages.map((m) => (m.id ? m : { ...m, id: ulid() }));

/** Working memory: the messages, summary and data of one session (conversation). */
export class WorkingMemoryApi {
  constructor(private readonly ctx: ClientContext) {}

  /** Session ids, most recently updated first. */
  async list(opts: Key & { limit?: number; offset?: number } = {}): Promise<SessionList> {
    const { body } = await this.ctx.transport.request<SessionList>({
      method: 'GET',
      path: '/v1/working-memory',
      query: { limit: opts.limit, offset: opts.offset, ...scopeOf(this.ctx, opts) },
      idempotent: true,
    });
    return body;
  }

  /** Every session id, a page at a time. */
  iterate(opts: Key & { pageSize?: number } = {}): AsyncGenerator<string, void, undefined> {
    const pageSize = opts.pageSize ?? 100;
    return byOffset(async (offset, limit) => {
      const page = await this.list({ ...opts, offset, limit });
      return { items: page.sessions, next: offset + page.sessions.length < page.total ? undefined : null };
    }, pageSize);
  }

  /** One session with its ETag; MemoryNotFoundError when there is none. */
  async get(sessionId: string, opts: Key & WindowOptions = {}): Promise<WorkingMemory> {
    const { namespace, user_id, ...window } = opts;
    const res = await this.ctx.transport.request<WorkingMemoryResponse>({
      method: 'GET',
      path: `/v1/working-memory/${encode(sessionId)}`,
      query: { ...scopeOf(this.ctx, { namespace, user_id }), ...window },
      idempotent: true,
    });
    return tagged(res.body, res.headers);
  }

  /** The session, or null when there is none. */
  async find(sessionId: string, opts: Key & WindowOptions = {}): Promise<WorkingMemory | null> {
    try {
      return await this.get(sessionId, opts);
    } catch (err) {
      if (err instanceof MemoryNotFoundError) return null;
      throw err;
    }
  }

  /**
   * Replaces the session. Without `ifMatch` this overwrites whatever is stored, including messages appended since
   * you read it; pass the `etag` of your read as `ifMatch` to be refused instead (see `update`).
   */
  async put(sessionId: string, memory: WorkingMemoryBody, opts: PutOptions = {}): Promise<WorkingMemory> {
    const { ifMatch, ifNoneMatch, namespace, user_id, ...window } = opts;
    const scope = scopeOf(this.ctx, { namespace: namespace ?? memory.namespace, user_id: user_id ?? memory.user_id });
    const body = {
      ...memory,
      ...definedOnly(scope),
      ...(memory.messages ? { messages: withMessageIds(memory.messages) } : {}),
    };
    const res = await this.ctx.transport.request<WorkingMemoryResponse>({
      method: 'PUT',
      path: `/v1/working-memory/${encode(sessionId)}`,
      query: window,
      body,
      headers: { 'If-Match': ifMatch, 'If-None-Match': ifNoneMatch },
      idempotent: true,
    });
    return tagged(res.body, res.headers);
  }

  /** Creates the session; MemoryPreconditionError when it exists already. */
  create(sessionId: string, memory: WorkingMemoryBody, opts: Omit<PutOptions, 'ifMatch' | 'ifNoneMatch'> = {}) {
    return this.put(sessionId, memory, { ...opts, ifNoneMatch: '*' });
  }

  /**
   * Read, change, write without losing anyone's write: `change` gets the stored session (null when there is none)
   * and returns what to store; the PUT carries the read's ETag, and when another writer got in between (412) the
   * session is read again and `change` runs again on the newer state, up to `attempts` times.
   */
  async update(
    sessionId: string,
    change: (current: WorkingMemory | null) => WorkingMemoryBody | Promise<WorkingMemoryBody>,
    opts: UpdateOptions = {},
  ): Promise<WorkingMemory> {
    const { attempts = 5, namespace, user_id, ...window } = opts;
    const key = { namespace, user_id };
    for (let attempt = 1; ; attempt++) {
      // Every message, so that `change` sees (and keeps) the whole conversation.
      const current = await this.find(sessionId, { ...key, recent_messages_limit: 1_000_000 });
      const next = await change(current);
      try {
        return await this.put(sessionId, next, {
          ...key,
          ...window,
          ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' }),
        });
      } catch (err) {
        if (!(err instanceof MemoryPreconditionError) || attempt >= attempts) throw err;
      }
    }
  }

  /**
   * Adds messages at the end, creating the session when missing. Atomic on the server: concurrent appenders never
   * lose a message, and a message id sent twice lands once (ids are assigned here when absent).
   */
  async append(sessionId: string, messages: readonly NewMessage[], opts: AppendOptions = {}): Promise<AppendResult> {
    const { namespace, user_id, ttl_seconds, recent_messages_limit = 1, ...window } = opts;
    const res = await this.ctx.transport.request<Omit<AppendResult, 'etag'>>({
      method: 'POST',
      path: `/v1/working-memory/${encode(sessionId)}/messages`,
      query: { recent_messages_limit, ...window },
      body: { messages: withMessageIds(messages), ...definedOnly(scopeOf(this.ctx, opts)), ttl_seconds },
      idempotent: true,
    });
    return tagged(res.body, res.headers);
  }

  /** Branches the session into a new one (optionally up to a message). */
  async fork(
    sessionId: string,
    opts: Key & { new_session_id?: string; at_message_id?: string } = {},
  ): Promise<WorkingMemory> {
    const { namespace, user_id, ...rest } = opts;
    // The new id is chosen here, so that a retry after a lost answer is a 409 rather than a second copy.
    const body = { new_session_id: rest.new_session_id ?? ulid(), ...rest, ...definedOnly(scopeOf(this.ctx, opts)) };
    const res = await this.ctx.transport.request<WorkingMemoryResponse>({
      method: 'POST',
      path: `/v1/working-memory/${encode(sessionId)}/fork`,
      body,
      idempotent: false,
    });
    return tagged(res.body, res.headers);
  }

  /** Deletes the session (ok also when there was none). */
  async delete(sessionId: string, opts: Key = {}): Promise<Ack> {
    const { body } = await this.ctx.transport.request<Ack>({
      method: 'DELETE',
      path: `/v1/working-memory/${encode(sessionId)}`,
      query: { ...scopeOf(this.ctx, opts) },
      idempotent: true,
    });
    return body;
  }
}

function tagged<T extends object>(body: T, headers: Headers): T & { etag: string } {
  const version = (body as { version?: number }).version;
  return { ...body, etag: headers.get('etag') ?? `"${version ?? 0}"` };
}
